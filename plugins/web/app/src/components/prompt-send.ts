// Sending what the prompt holds: a slash command when it names one, else a prompt with its
// mentions and attachments; a new session first when none is open.
import { useState } from 'preact/hooks'
import { call, type Command, type FilePartInput } from '../api'
import { api, directory, openSession, reportError, sessionID } from '../state'
import type { Mention } from './prompt-hooks'

type PromptParts = NonNullable<Parameters<ReturnType<typeof api>['session']['promptAsync']>[0]['parts']>

export interface PromptInput {
  /** The prompt's text, trimmed. */
  value: string
  agent: string
  /** `provider/model`, or '' for the default. */
  model: string
  variant: string
  commands: Command[]
  mentions: Mention[]
  attachments: FilePartInput[]
}

/** The text, then each mention still in it (an agent, or a file of the project), then the attachments. */
function promptParts(value: string, mentions: Mention[], attachments: FilePartInput[]): PromptParts {
  const parts: PromptParts = [{ type: 'text', text: value }]
  for (const mention of mentions) {
    if (mention.kind === 'agent' && value.includes(`@${mention.name}`))
      parts.push({ type: 'agent', name: mention.name })
    if (mention.kind === 'file' && value.includes(`@${mention.path}`))
      parts.push({
        type: 'file',
        mime: 'text/plain',
        filename: mention.path,
        url: `file://${directory.value}/${mention.path}`,
      })
  }
  parts.push(...attachments)
  return parts
}

export async function sendPrompt(input: PromptInput): Promise<void> {
  const { value, agent, model, variant, commands, mentions, attachments } = input
  let current = sessionID.value
  if (!current) {
    current = (await call(api().session.create({}))).id
    await openSession(current)
  }
  const [providerID, ...rest] = model.split('/')
  const chosenModel = model ? { providerID: providerID!, modelID: rest.join('/') } : undefined
  const slash = /^\/(\S+)\s*([\s\S]*)$/.exec(value)
  const command = slash && commands.find((entry) => entry.name === slash[1])
  if (command) {
    await call(
      api().session.command({
        sessionID: current,
        command: command.name,
        arguments: slash![2] ?? '',
        ...(agent ? { agent } : {}),
        ...(model ? { model } : {}),
        ...(variant ? { variant } : {}),
        parts: attachments,
      }),
    )
  } else {
    await call(
      api().session.promptAsync({
        sessionID: current,
        parts: promptParts(value, mentions, attachments),
        ...(agent ? { agent } : {}),
        ...(chosenModel ? { model: chosenModel } : {}),
        ...(variant ? { variant } : {}),
      }),
    )
  }
}

/**
 * Sends the prompt (`text` trimmed; nothing when it is empty and nothing is attached), then
 * `sent` clears it; `sending` while it goes out. A failure is reported and the prompt kept.
 */
export function usePromptSender(draft: Omit<PromptInput, 'value'> & { text: string }, sent: () => void) {
  const [sending, setSending] = useState(false)
  const send = async () => {
    const value = draft.text.trim()
    if (!value && draft.attachments.length === 0) return
    setSending(true)
    try {
      await sendPrompt({ ...draft, value })
      sent()
    } catch (error) {
      reportError(error)
    } finally {
      setSending(false)
    }
  }
  return { sending, send }
}
