import { useSignal } from '@preact/signals'
import { useEffect, useRef, useState } from 'preact/hooks'
import { call, type Agent, type Command, type FilePartInput, type Provider } from '../api'
import { api, directory, openSession, reportError, sessionID, statuses } from '../state'

type Mention = { kind: 'file'; path: string } | { kind: 'agent'; name: string }
type Suggestion = { label: string; hint?: string; apply: () => void }

const MAX_ATTACHMENT = 10 * 1024 * 1024

/** Agent, model and variant pickers, loaded once per project. */
function useChoices() {
  const agents = useSignal<Agent[]>([])
  const providers = useSignal<{ all: Provider[]; default: Record<string, string>; connected: string[] }>({
    all: [],
    default: {},
    connected: [],
  })
  const commands = useSignal<Command[]>([])
  useEffect(() => {
    const client = api()
    void call(client.app.agents()).then(
      (list) => (agents.value = list.filter((agent) => agent.mode !== 'subagent' && !agent.hidden)),
      reportError,
    )
    void call(client.provider.list()).then((list) => (providers.value = list), reportError)
    void call(client.command.list()).then((list) => (commands.value = list), reportError)
  }, [directory.value])
  return { agents: agents.value, providers: providers.value, commands: commands.value }
}

export function Prompt() {
  const { agents, providers, commands } = useChoices()
  const [text, setText] = useState('')
  const [agent, setAgent] = useState('')
  const [model, setModel] = useState('')
  const [variant, setVariant] = useState('')
  const [attachments, setAttachments] = useState<FilePartInput[]>([])
  const [mentions, setMentions] = useState<Mention[]>([])
  const [suggestions, setSuggestions] = useState<Suggestion[]>([])
  const [selected, setSelected] = useState(0)
  const [sending, setSending] = useState(false)
  const input = useRef<HTMLTextAreaElement>(null)
  const id = sessionID.value
  const busy = id ? statuses.value[id]?.type === 'busy' || statuses.value[id]?.type === 'retry' : false

  const models = providers.all.flatMap((provider) =>
    Object.values(provider.models).map((entry) => ({
      key: `${provider.id}/${entry.id}`,
      label: `${provider.name} · ${entry.name}`,
      variants: Object.keys(entry.variants ?? {}),
    })),
  )
  const variants = models.find((entry) => entry.key === model)?.variants ?? []

  // Slash commands at the start, @ mentions at the cursor.
  const suggest = async (value: string, cursor: number) => {
    const slash = /^\/(\S*)$/.exec(value.slice(0, cursor))
    if (slash) {
      const term = slash[1]!.toLowerCase()
      setSuggestions(
        commands
          .filter((command) => command.name.toLowerCase().includes(term))
          .slice(0, 12)
          .map((command) => ({
            label: `/${command.name}`,
            hint: [command.description, ...command.hints].filter(Boolean).join(' · '),
            apply: () => setText(`/${command.name} `),
          })),
      )
      setSelected(0)
      return
    }
    const at = /(^|\s)@([^\s@]*)$/.exec(value.slice(0, cursor))
    if (!at) return setSuggestions([])
    const term = at[2]!
    const replace = (insert: string, mention: Mention) => () => {
      const start = cursor - term.length - 1
      setText(value.slice(0, start) + '@' + insert + ' ' + value.slice(cursor))
      setMentions((list) => [...list, mention])
      setSuggestions([])
      input.current?.focus()
    }
    const agentItems = agents
      .filter((entry) => entry.name.includes(term.toLowerCase()))
      .map((entry) => ({
        label: `@${entry.name}`,
        hint: 'agent',
        apply: replace(entry.name, { kind: 'agent', name: entry.name }),
      }))
    const files = term
      ? await call(api().find.files({ query: term, limit: 10, dirs: 'false' })).catch(() => [] as string[])
      : []
    setSuggestions(
      [
        ...agentItems,
        ...files.map((path) => ({ label: path, hint: 'file', apply: replace(path, { kind: 'file', path }) })),
      ].slice(0, 12),
    )
    setSelected(0)
  }

  const attach = async (files: FileList | File[]) => {
    for (const file of Array.from(files)) {
      if (file.size > MAX_ATTACHMENT) {
        reportError(`${file.name} is larger than 10 MB`)
        continue
      }
      const url = await new Promise<string>((resolve, reject) => {
        const reader = new FileReader()
        reader.onload = () => resolve(String(reader.result))
        reader.onerror = () => reject(reader.error)
        reader.readAsDataURL(file)
      })
      setAttachments((list) => [
        ...list,
        { type: 'file', mime: file.type || 'application/octet-stream', filename: file.name, url },
      ])
    }
  }

  const send = async () => {
    const value = text.trim()
    if (!value && attachments.length === 0) return
    setSending(true)
    try {
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
        const parts: NonNullable<Parameters<ReturnType<typeof api>['session']['promptAsync']>[0]['parts']> = [
          { type: 'text', text: value },
        ]
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
        await call(
          api().session.promptAsync({
            sessionID: current,
            parts,
            ...(agent ? { agent } : {}),
            ...(chosenModel ? { model: chosenModel } : {}),
            ...(variant ? { variant } : {}),
          }),
        )
      }
      setText('')
      setAttachments([])
      setMentions([])
    } catch (error) {
      reportError(error)
    } finally {
      setSending(false)
    }
  }

  const abort = () => id && call(api().session.abort({ sessionID: id })).catch(reportError)

  const onKeyDown = (event: KeyboardEvent) => {
    if (suggestions.length) {
      if (event.key === 'ArrowDown') return (event.preventDefault(), setSelected((selected + 1) % suggestions.length))
      if (event.key === 'ArrowUp')
        return (event.preventDefault(), setSelected((selected - 1 + suggestions.length) % suggestions.length))
      if (event.key === 'Tab' || event.key === 'Enter')
        return (event.preventDefault(), suggestions[selected]?.apply(), setSuggestions([]))
      if (event.key === 'Escape') return setSuggestions([])
    }
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
      {suggestions.length > 0 && (
        <ul class="suggestions" role="listbox">
          {suggestions.map((item, i) => (
            <li
              key={item.label}
              role="option"
              aria-selected={i === selected}
              class={i === selected ? 'selected' : ''}
              onMouseDown={(e) => (e.preventDefault(), item.apply(), setSuggestions([]))}
            >
              <span>{item.label}</span>
              {item.hint && <span class="muted small"> {item.hint}</span>}
            </li>
          ))}
        </ul>
      )}
      {attachments.length > 0 && (
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
      )}
      <textarea
        ref={input}
        id="prompt-input"
        rows={3}
        placeholder="Ask anything — / for commands, @ for files and agents, Enter to send, Shift+Enter for a new line"
        value={text}
        onInput={(e) => {
          setText(e.currentTarget.value)
          void suggest(e.currentTarget.value, e.currentTarget.selectionStart)
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
      <div class="prompt-bar">
        <select value={agent} onChange={(e) => setAgent(e.currentTarget.value)} aria-label="Agent">
          <option value="">default agent</option>
          {agents.map((entry) => (
            <option key={entry.name} value={entry.name}>
              {entry.name}
            </option>
          ))}
        </select>
        <select value={model} onChange={(e) => (setModel(e.currentTarget.value), setVariant(''))} aria-label="Model">
          <option value="">default model</option>
          {models.map((entry) => (
            <option key={entry.key} value={entry.key}>
              {entry.label}
            </option>
          ))}
        </select>
        {variants.length > 0 && (
          <select value={variant} onChange={(e) => setVariant(e.currentTarget.value)} aria-label="Variant">
            <option value="">default variant</option>
            {variants.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        )}
        <label class="button attach" title="Attach files">
          Attach
          <input type="file" multiple hidden onChange={(e) => e.currentTarget.files && attach(e.currentTarget.files)} />
        </label>
        <span class="spacer" />
        {busy && (
          <button class="danger" onClick={abort} title="Abort (Esc)">
            Stop
          </button>
        )}
        <button
          class="primary"
          id="send"
          disabled={sending || (!text.trim() && attachments.length === 0)}
          onClick={send}
        >
          {busy ? 'Queue' : 'Send'}
        </button>
      </div>
    </div>
  )
}
