import type { AssistantContent, ModelMessage, ToolContent, UserContent } from 'ai'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { COMPACTION_QUESTION } from '../compaction.js'
import type { MessageWithParts } from '../../schemas.js'

const INTERRUPTED = 'Tool execution was interrupted'

/** Bytes of a `data:` URL, or of a project file named by a `file://` URL. */
function fileData(url: string): Uint8Array | undefined {
  if (url.startsWith('data:')) {
    const comma = url.indexOf(',')
    if (comma < 0) return undefined
    const meta = url.slice(5, comma)
    const body = url.slice(comma + 1)
    return meta.endsWith(';base64') ? Buffer.from(body, 'base64') : Buffer.from(decodeURIComponent(body), 'utf8')
  }
  if (url.startsWith('file://')) {
    try {
      return readFileSync(fileURLToPath(url))
    } catch {
      return undefined
    }
  }
  return undefined
}

/**
 * A content of one text part as a plain string: the model is sent the same, and the SDK's
 * validation of every message on every call (the largest cost of a long session's step) does
 * much less work for a string.
 */
function asText(content: readonly ({ type: string } | { type: 'text'; text: string })[]): string | undefined {
  return content.length === 1 && content[0]!.type === 'text' ? (content[0] as { text: string }).text : undefined
}

/**
 * The conversation as the `ai` SDK takes it. Text files were already inlined as synthetic text
 * parts when the prompt arrived; images and PDFs go as file content. Tool parts become a call in
 * the assistant message and a result in a tool message.
 */
export function toModelMessages(history: MessageWithParts[]): ModelMessage[] {
  const out: ModelMessage[] = []
  for (const { info, parts } of history) {
    if (info.role === 'user') {
      const content: Exclude<UserContent, string> = []
      for (const part of parts) {
        if (part.type === 'text' && !part.ignored && part.text) content.push({ type: 'text', text: part.text })
        else if (part.type === 'file' && (part.mime.startsWith('image/') || part.mime === 'application/pdf')) {
          const data = fileData(part.url)
          if (!data) continue
          if (part.mime.startsWith('image/')) content.push({ type: 'image', image: data, mediaType: part.mime })
          else content.push({ type: 'file', data, mediaType: part.mime, filename: part.filename })
        } else if (part.type === 'agent') {
          content.push({ type: 'text', text: `Use the ${part.name} agent for this request.` })
        } else if (part.type === 'compaction') {
          content.push({ type: 'text', text: COMPACTION_QUESTION })
        } else if (part.type === 'subtask') {
          content.push({ type: 'text', text: 'The following tool was executed by the user' })
        }
      }
      if (content.length) out.push({ role: 'user', content: asText(content) ?? content })
      continue
    }

    const assistant: Exclude<AssistantContent, string> = []
    const results: ToolContent = []
    for (const part of parts) {
      if (part.type === 'text' && part.text) assistant.push({ type: 'text', text: part.text })
      else if (part.type === 'reasoning' && part.text) assistant.push({ type: 'reasoning', text: part.text })
      else if (part.type === 'tool') {
        assistant.push({ type: 'tool-call', toolCallId: part.callID, toolName: part.tool, input: part.state.input })
        const state = part.state
        const output =
          state.status === 'completed'
            ? {
                type: 'text' as const,
                value: state.time.compacted ? '[Old tool result content cleared]' : state.output,
              }
            : { type: 'error-text' as const, value: state.status === 'error' ? state.error : INTERRUPTED }
        results.push({ type: 'tool-result', toolCallId: part.callID, toolName: part.tool, output })
      }
    }
    if (assistant.length) out.push({ role: 'assistant', content: asText(assistant) ?? assistant })
    if (results.length) out.push({ role: 'tool', content: results })
  }
  return out
}
