import { useEffect, useRef, useState } from 'preact/hooks'
import { highlightWithin, renderMarkdown } from '../markdown'
import type { Part } from '../state'
import { DiffView } from './DiffView'

/** Markdown, re-rendered at most once a frame while it streams. */
export function Markdown({ text }: { text: string }) {
  const ref = useRef<HTMLDivElement>(null)
  const [html, setHtml] = useState(() => renderMarkdown(text))
  const frame = useRef(0)
  const rendered = useRef(text)
  useEffect(() => {
    if (rendered.current === text) return
    rendered.current = text
    cancelAnimationFrame(frame.current)
    frame.current = requestAnimationFrame(() => setHtml(renderMarkdown(text)))
    return () => cancelAnimationFrame(frame.current)
  }, [text])
  useEffect(() => {
    if (ref.current) highlightWithin(ref.current)
  }, [html])
  // Sanitized by DOMPurify in renderMarkdown.
  return <div ref={ref} class="markdown" dangerouslySetInnerHTML={{ __html: html }} />
}

function ToolView({ part }: { part: Extract<Part, { type: 'tool' }> }) {
  const state = part.state
  const metadata = ('metadata' in state ? state.metadata : undefined) ?? {}
  const title = ('title' in state && state.title) || describeInput(part.tool, state.input)
  const diff = typeof metadata.diff === 'string' ? metadata.diff : undefined
  const liveOutput = typeof metadata.output === 'string' ? metadata.output : undefined
  const output = state.status === 'completed' ? state.output : state.status === 'error' ? state.error : liveOutput
  // Open by default for commands and file changes, until the reader toggles it.
  const [toggled, setOpen] = useState<boolean | undefined>(undefined)
  const open = toggled ?? (['bash', 'edit', 'write', 'apply_patch'].includes(part.tool) || !!diff)
  return (
    <div class={`tool tool-${state.status}`} data-tool={part.tool}>
      <button class="tool-head" onClick={() => setOpen(!open)} aria-expanded={open}>
        <span class={`dot ${state.status}`} aria-hidden="true" />
        <span class="tool-name">{part.tool}</span>
        <span class="tool-title">{title}</span>
        <span class="tool-status">{state.status}</span>
      </button>
      {open && (
        <div class="tool-body">
          {diff ? <DiffView patch={diff} /> : null}
          {output && !(diff && state.status === 'completed') ? (
            <pre class={`tool-output ${state.status === 'error' ? 'error' : ''}`}>{output}</pre>
          ) : null}
        </div>
      )}
    </div>
  )
}

function describeInput(tool: string, input: Record<string, unknown> | undefined): string {
  if (!input) return ''
  const value = input.command ?? input.filePath ?? input.path ?? input.pattern ?? input.url ?? input.description
  return typeof value === 'string' ? value : tool
}

export function PartView({ part }: { part: Part }) {
  switch (part.type) {
    case 'text':
      if (part.synthetic) return null
      return <Markdown text={part.text} />
    case 'reasoning':
      return (
        <details class="reasoning">
          <summary>Thinking</summary>
          <Markdown text={part.text} />
        </details>
      )
    case 'tool':
      return <ToolView part={part} />
    case 'file':
      return (
        <div class="file-part">
          Attached: {part.filename ?? part.url.slice(0, 60)}
          {part.mime.startsWith('image/') && part.url.startsWith('data:') ? (
            <img src={part.url} alt={part.filename ?? 'image'} />
          ) : null}
        </div>
      )
    case 'step-finish':
      return (
        <div class="step-finish" title="Tokens and cost of this step">
          {part.tokens.input.toLocaleString()} in · {part.tokens.output.toLocaleString()} out
          {part.tokens.reasoning ? ` · ${part.tokens.reasoning.toLocaleString()} reasoning` : ''}
          {part.tokens.cache.read ? ` · ${part.tokens.cache.read.toLocaleString()} cached` : ''} · $
          {part.cost.toFixed(4)}
        </div>
      )
    case 'retry':
      return (
        <div class="retry">
          Retry {part.attempt}: {part.error?.data?.message ?? 'the provider failed'}
        </div>
      )
    case 'patch':
      return <div class="patch-part">Changed {part.files.length} file(s)</div>
    case 'agent':
      return <div class="agent-part">@{part.name}</div>
    case 'subtask':
      return (
        <div class="agent-part">
          Subtask for @{part.agent}: {part.description}
        </div>
      )
    case 'compaction':
      return <div class="compaction">Conversation summarised</div>
    default:
      return null
  }
}
