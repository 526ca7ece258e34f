// The read-only HTML page of a shared session: rendered on the server, no script, no external asset.
import type { MessageWithParts, Part, SessionInfo } from '../session/schemas.js'

/** Output longer than this is cut on the page (the JSON form has it whole). */
const MAX_BLOCK_CHARS = 20_000

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char]!)
}

function block(text: string, className = ''): string {
  const cut =
    text.length > MAX_BLOCK_CHARS
      ? `${text.slice(0, MAX_BLOCK_CHARS)}\n… (${text.length - MAX_BLOCK_CHARS} more characters)`
      : text
  return `<pre${className ? ` class="${className}"` : ''}>${escapeHtml(cut)}</pre>`
}

function renderPart(part: Part): string {
  switch (part.type) {
    case 'text':
      return part.synthetic || part.ignored || !part.text ? '' : block(part.text, 'text')
    case 'reasoning':
      return part.text ? `<details><summary>Thinking</summary>${block(part.text)}</details>` : ''
    case 'file':
      return `<p class="meta">📎 ${escapeHtml(part.filename ?? part.mime)}</p>`
    case 'agent':
      return `<p class="meta">@${escapeHtml(part.name)}</p>`
    case 'subtask':
      return `<p class="meta">Subtask for @${escapeHtml(part.agent)}: ${escapeHtml(part.description)}</p>`
    case 'compaction':
      return '<p class="meta">Conversation compacted</p>'
    case 'patch':
      return `<p class="meta">Changed ${part.files.length} file${part.files.length === 1 ? '' : 's'}</p>`
    case 'tool': {
      const state = part.state
      const title = state.status === 'completed' || state.status === 'running' ? (state.title ?? '') : ''
      const input = JSON.stringify(state.input, null, 2)
      const result =
        state.status === 'completed' ? block(state.output) : state.status === 'error' ? block(state.error, 'error') : ''
      return `<details class="tool ${state.status}"><summary>${escapeHtml(part.tool)}${title ? ` · ${escapeHtml(title)}` : ''} <span class="meta">${state.status}</span></summary>${block(input)}${result}</details>`
    }
    default:
      return ''
  }
}

function renderMessage({ info, parts }: MessageWithParts): string {
  const body = parts.map(renderPart).join('')
  if (info.role === 'user') return body ? `<section class="user"><h2>User</h2>${body}</section>` : ''
  const label = info.summary ? 'Summary' : `${info.agent} · ${info.providerID}/${info.modelID}`
  const error = info.error
    ? block(`${info.error.name}: ${String((info.error.data as { message?: unknown }).message ?? '')}`, 'error')
    : ''
  return body || error ? `<section class="assistant"><h2>${escapeHtml(label)}</h2>${body}${error}</section>` : ''
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f;background:#fff}
h1{font-size:1.4rem;margin-bottom:.2rem}h2{font-size:.8rem;text-transform:uppercase;letter-spacing:.05em;color:#666;margin:0 0 .4rem}
section{border-left:3px solid #ddd;padding:.4rem .9rem;margin:1rem 0}section.user{border-color:#4a7dff}section.assistant{border-color:#2bb673}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f6f7;padding:.6rem;border-radius:6px;margin:.4rem 0;font:13px/1.45 ui-monospace,monospace}
pre.text{background:none;padding:0;font:inherit}pre.error{background:#fff0f0;color:#a00}.meta{color:#666;font-size:.85rem}
details{margin:.3rem 0}summary{cursor:pointer}@media(prefers-color-scheme:dark){body{background:#111;color:#ddd}pre{background:#1c1c1e}pre.error{background:#311}}`

/** The whole page; `omitted` says how many older messages were left out. */
export function renderSharePage(session: SessionInfo, messages: MessageWithParts[], omitted: boolean): string {
  const created = new Date(session.time.created).toISOString().replace('T', ' ').slice(0, 16)
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(session.title)}</title><style>${STYLE}</style></head>
<body><header><h1>${escapeHtml(session.title)}</h1><p class="meta">Shared session · started ${created} UTC · ${messages.length} messages</p></header>
${omitted ? '<p class="meta">Older messages are not shown.</p>' : ''}
<main>${messages.map(renderMessage).join('\n')}</main></body></html>`
}
