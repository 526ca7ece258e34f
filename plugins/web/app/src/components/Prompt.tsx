import type { RefObject } from 'preact'
import { useRef, useState } from 'preact/hooks'
import { call, type Agent, type FilePartInput } from '../api'
import { api, reportError, sessionID, statuses } from '../state'
import {
  modelChoices,
  useAttachments,
  useChoices,
  useSuggestions,
  type Mention,
  type Suggestions,
} from './prompt-hooks'
import { usePromptSender } from './prompt-send'

/** The prompt: text with suggestions, attachments, agent/model/variant pickers, send and stop. */
export function Prompt() {
  const { agents, providers, commands } = useChoices()
  const [text, setText] = useState('')
  const [agent, setAgent] = useState('')
  const [model, setModel] = useState('')
  const [variant, setVariant] = useState('')
  const { attachments, setAttachments, attach } = useAttachments()
  const [mentions, setMentions] = useState<Mention[]>([])
  const input = useRef<HTMLTextAreaElement>(null)
  const suggestions = useSuggestions({ agents, commands, setText, setMentions, input })
  const id = sessionID.value
  const busy = id ? statuses.value[id]?.type === 'busy' || statuses.value[id]?.type === 'retry' : false
  const models = modelChoices(providers.all)
  const variants = models.find((entry) => entry.key === model)?.variants ?? []

  const { sending, send } = usePromptSender({ text, agent, model, variant, commands, mentions, attachments }, () => {
    setText('')
    setAttachments([])
    setMentions([])
  })

  const abort = () => id && call(api().session.abort({ sessionID: id })).catch(reportError)

  const onKeyDown = (event: KeyboardEvent) => {
    if (suggestions.onKey(event)) return
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault()
      void send()
    }
    if (event.key === 'Escape' && busy) void abort()
  }

  return (
    <div
      class="prompt"
      onDragOver={(e) => e.preventDefault()}
      onDrop={(e) => {
        e.preventDefault()
        if (e.dataTransfer?.files.length) void attach(e.dataTransfer.files)
      }}
    >
      <SuggestionList suggestions={suggestions} />
      <AttachmentChips attachments={attachments} setAttachments={setAttachments} />
      <PromptText
        input={input}
        text={text}
        setText={setText}
        suggestions={suggestions}
        attach={attach}
        onKeyDown={onKeyDown}
      />
      <div class="prompt-bar">
        <Pickers
          choices={{ agents, models, variants }}
          agent={agent}
          setAgent={setAgent}
          model={model}
          setModel={(next) => {
            setModel(next)
            setVariant('')
          }}
          variant={variant}
          setVariant={setVariant}
        />
        <label class="button attach" title="Attach files">
          Attach
          <input type="file" multiple hidden onChange={(e) => e.currentTarget.files && attach(e.currentTarget.files)} />
        </label>
        <span class="spacer" />
        <SendControls
          busy={busy}
          abort={abort}
          disabled={sending || (!text.trim() && attachments.length === 0)}
          send={send}
        />
      </div>
    </div>
  )
}

interface PromptTextProps {
  input: RefObject<HTMLTextAreaElement | null>
  text: string
  setText: (text: string) => void
  suggestions: Suggestions
  attach: (files: FileList) => Promise<void>
  onKeyDown: (event: KeyboardEvent) => void
}

/** The text field: suggests as you type, takes pasted files as attachments. */
function PromptText({ input, text, setText, suggestions, attach, onKeyDown }: PromptTextProps) {
  return (
    <textarea
      ref={input}
      id="prompt-input"
      rows={3}
      placeholder="Ask anything — / for commands, @ for files and agents, Enter to send, Shift+Enter for a new line"
      value={text}
      onInput={(e) => {
        setText(e.currentTarget.value)
        void suggestions.suggest(e.currentTarget.value, e.currentTarget.selectionStart)
      }}
      onKeyDown={onKeyDown}
      onPaste={(e) => {
        if (e.clipboardData?.files.length) {
          e.preventDefault()
          void attach(e.clipboardData.files)
        }
      }}
      aria-label="Prompt"
    />
  )
}

/** Stop while the session works; Send (Queue while it works). */
function SendControls(props: { busy: boolean; abort: () => void; disabled: boolean; send: () => void }) {
  const { busy, abort, disabled, send } = props
  return (
    <>
      {busy && (
        <button class="danger" onClick={abort} title="Abort (Esc)">
          Stop
        </button>
      )}
      <button class="primary" id="send" disabled={disabled} onClick={send}>
        {busy ? 'Queue' : 'Send'}
      </button>
    </>
  )
}

function SuggestionList({ suggestions }: { suggestions: Suggestions }) {
  if (suggestions.items.length === 0) return null
  return (
    <ul class="suggestions" role="listbox">
      {suggestions.items.map((item, i) => (
        <li
          key={item.label}
          role="option"
          aria-selected={i === suggestions.selected}
          class={i === suggestions.selected ? 'selected' : ''}
          onMouseDown={(e) => {
            e.preventDefault()
            suggestions.pick(item)
          }}
        >
          <span>{item.label}</span>
          {item.hint && <span class="muted small"> {item.hint}</span>}
        </li>
      ))}
    </ul>
  )
}

function AttachmentChips(props: { attachments: FilePartInput[]; setAttachments: (list: FilePartInput[]) => void }) {
  const { attachments, setAttachments } = props
  if (attachments.length === 0) return null
  return (
    <div class="attachments">
      {attachments.map((file, i) => (
        <span key={i} class="chip">
          {file.filename}
          <button class="icon" title="Remove" onClick={() => setAttachments(attachments.filter((_, j) => j !== i))}>
            ✕
          </button>
        </span>
      ))}
    </div>
  )
}

interface PickersProps {
  choices: { agents: Agent[]; models: ReturnType<typeof modelChoices>; variants: string[] }
  agent: string
  setAgent: (agent: string) => void
  model: string
  setModel: (model: string) => void
  variant: string
  setVariant: (variant: string) => void
}

/** Agent, model and (when the model has some) variant; '' is the default of each. */
function Pickers({ choices, agent, setAgent, model, setModel, variant, setVariant }: PickersProps) {
  return (
    <>
      <select value={agent} onChange={(e) => setAgent(e.currentTarget.value)} aria-label="Agent">
        <option value="">default agent</option>
        {choices.agents.map((entry) => (
          <option key={entry.name} value={entry.name}>
            {entry.name}
          </option>
        ))}
      </select>
      <select value={model} onChange={(e) => setModel(e.currentTarget.value)} aria-label="Model">
        <option value="">default model</option>
        {choices.models.map((entry) => (
          <option key={entry.key} value={entry.key}>
            {entry.label}
          </option>
        ))}
      </select>
      {choices.variants.length > 0 && (
        <select value={variant} onChange={(e) => setVariant(e.currentTarget.value)} aria-label="Variant">
          <option value="">default variant</option>
          {choices.variants.map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
      )}
    </>
  )
}
