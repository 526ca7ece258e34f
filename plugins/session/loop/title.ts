// The session's title, written by the small model from the first prompt.
import type { SessionKernel } from '../index.js'
import type { FastifyInstance } from 'fastify'
import { type Instance } from '../../../sdk/index.js'
import type { ModelRef } from '../../provider/types.js'
import { isDefaultTitle, type SessionService } from '../store/service.js'
import { Renamed } from '../http/v21/events.js'

const TITLE_TIMEOUT_MS = 30_000

function cleanTitle(text: string): string | undefined {
  const line = text
    .replace(/<think>[\s\S]*?<\/think>/g, '')
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0)
  if (!line) return undefined
  return line.length > 100 ? line.slice(0, 97) + '...' : line
}

/** Names the session from its first prompt with the small model; never throws, never delays the reply. */
export async function generateTitle(
  app: FastifyInstance,
  kernel: SessionKernel,
  sessions: SessionService,
  instance: Instance,
  sessionID: string,
  text: string,
  model: ModelRef,
): Promise<void> {
  try {
    const { generateText } = await import('ai')
    const titleAgent = await app.agents.get(instance, 'title')
    const ref = titleAgent?.model ?? (await app.providers.smallModel(instance, model.providerID)) ?? model
    const languageModel = await app.providers.languageModel(instance, ref)
    const result = await generateText({
      model: languageModel,
      maxRetries: 1,
      abortSignal: AbortSignal.timeout(TITLE_TIMEOUT_MS),
      system: titleAgent?.prompt ?? 'Write a short title (at most 50 characters, one line) for the conversation.',
      messages: [
        { role: 'user', content: 'Generate a title for this conversation:\n' },
        { role: 'user', content: text.slice(0, 10_000) },
      ],
    })
    const title = cleanTitle(result.text)
    if (!title || instance.isDisposed) return
    const current = sessions.store.getSession(sessionID)
    if (!current || !isDefaultTitle(current.title)) return
    sessions.update(instance, sessionID, (s) => {
      s.title = title
    })
    kernel.publish(instance, Renamed, { timestamp: Date.now(), sessionID, title })
  } catch (error) {
    kernel.log.debug({ err: error, sessionID }, 'title generation failed')
  }
}
