// The user message and parts a prompt stores: what the client sent, and the project files it
// names read in.
import { lstatSync, readdirSync, readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { BadRequestError, ascendingId, type Instance } from '../../../sdk/index.js'
import { realPathInside } from '../../../sdk/paths.js'
import type { PromptInput } from '../prompt-schemas.js'
import type { AgentInfo } from '../../agent/types.js'
import type { ModelRef } from '../../provider/types.js'
import type { Part, TextPart, UserMessage } from '../schemas.js'

const MAX_INLINE_FILE_BYTES = 1024 * 1024

/** What a message's own text parts say (synthetic ones, such as files read in, left out), one per line. */
export function ownText(parts: readonly Part[]): string {
  return parts.flatMap((part) => (part.type === 'text' && !part.synthetic ? [part.text] : [])).join('\n')
}

/** The user message (unsaved) a prompt becomes: its agent, model and variant, system, tools and format. */
export function userMessage(
  sessionID: string,
  id: string,
  input: PromptInput,
  agent: AgentInfo,
  model: ModelRef,
): UserMessage {
  const variant = input.variant ?? agent.variant
  const info: UserMessage = {
    id,
    sessionID,
    role: 'user',
    time: { created: Date.now() },
    agent: agent.name,
    model: { ...model, ...(variant ? { variant } : {}) },
  }
  if (input.system) info.system = input.system
  if (input.tools) info.tools = input.tools
  if (input.format) info.format = input.format
  return info
}

/** Turns the prompt's parts into stored parts; project files are read in as synthetic text. */
export function userParts(instance: Instance, sessionID: string, messageID: string, input: PromptInput): Part[] {
  const parts: Part[] = []
  for (const part of input.parts) {
    const id = part.id ?? ascendingId('prt')
    if (part.type === 'text') {
      parts.push({ ...part, id, sessionID, messageID })
    } else if (part.type === 'agent') {
      parts.push({ ...part, id, sessionID, messageID })
    } else if (part.type === 'subtask') {
      parts.push({ ...part, id, sessionID, messageID })
    } else {
      parts.push({ ...part, id, sessionID, messageID })
      if (part.url.startsWith('file://')) parts.push(...inlineFile(instance, sessionID, messageID, part.url, part.mime))
      else if (!part.url.startsWith('data:'))
        throw new BadRequestError(`Unsupported file URL (use file:// or data:): ${part.url.slice(0, 100)}`, 'Body')
    }
  }
  return parts
}

function inlineFile(instance: Instance, sessionID: string, messageID: string, url: string, mime: string): Part[] {
  let path: string
  try {
    path = fileURLToPath(new URL(url))
  } catch {
    throw new BadRequestError(`Invalid file URL: ${url.slice(0, 200)}`, 'Body')
  }
  if (!realPathInside(path, [instance.worktree, instance.directory])) {
    throw new BadRequestError(`File is outside the project: ${path}`, 'Body')
  }
  const synthetic = (text: string): TextPart => ({
    id: ascendingId('prt'),
    sessionID,
    messageID,
    type: 'text',
    text,
    synthetic: true,
  })
  const rel = relative(instance.worktree, path) || '.'
  const stat = lstatSync(path)
  if (stat.isDirectory()) {
    const entries = readdirSync(path, { withFileTypes: true }).map(
      (entry) => entry.name + (entry.isDirectory() ? '/' : ''),
    )
    return [synthetic(`Listing of directory ${rel}:\n${entries.sort().join('\n')}`)]
  }
  if (mime.startsWith('image/') || mime === 'application/pdf') return []
  if (stat.size > MAX_INLINE_FILE_BYTES)
    return [synthetic(`File ${rel} is too large to include (${stat.size} bytes); read parts of it with the read tool.`)]
  const content = readFileSync(path, 'utf8')
  return [synthetic(`Contents of ${rel}:\n\`\`\`\n${content}\n\`\`\``)]
}
