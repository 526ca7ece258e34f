// The prompt's state beyond its text: the agent, model and command choices, the suggestion list
// under the cursor (slash commands, @ mentions), and attached files.
import { useSignal } from '@preact/signals'
import { useEffect, useState, type Dispatch, type StateUpdater } from 'preact/hooks'
import type { RefObject } from 'preact'
import { call, type Agent, type Command, type FilePartInput, type Provider } from '../api'
import { api, directory, reportError } from '../state'

export type Mention = { kind: 'file'; path: string } | { kind: 'agent'; name: string }
export type Suggestion = { label: string; hint?: string; apply: () => void }

const MAX_ATTACHMENT = 10 * 1024 * 1024

/** Agent, model and variant pickers, loaded once per project. */
export function useChoices() {
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

/** Each model of each provider, as the model picker lists them. */
export function modelChoices(providers: Provider[]) {
  return providers.flatMap((provider) =>
    Object.values(provider.models).map((entry) => ({
      key: `${provider.id}/${entry.id}`,
      label: `${provider.name} · ${entry.name}`,
      variants: Object.keys(entry.variants ?? {}),
    })),
  )
}

interface SuggestionInput {
  agents: Agent[]
  commands: Command[]
  setText: (text: string) => void
  setMentions: Dispatch<StateUpdater<Mention[]>>
  input: RefObject<HTMLTextAreaElement | null>
}

export interface Suggestions {
  items: Suggestion[]
  selected: number
  /** Slash commands at the start, @ mentions at the cursor. */
  suggest(value: string, cursor: number): Promise<void>
  /** Arrow keys, Tab or Enter and Escape while suggestions show; true when the key was theirs. */
  onKey(event: KeyboardEvent): boolean
  /** Applies a suggestion and closes the list. */
  pick(item: Suggestion | undefined): void
}

export function useSuggestions({ agents, commands, setText, setMentions, input }: SuggestionInput): Suggestions {
  const [items, setItems] = useState<Suggestion[]>([])
  const [selected, setSelected] = useState(0)

  const suggestCommands = (term: string) => {
    setItems(
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
  }

  const suggestMentions = async (value: string, cursor: number, term: string) => {
    const replace = (insert: string, mention: Mention) => () => {
      const start = cursor - term.length - 1
      setText(value.slice(0, start) + '@' + insert + ' ' + value.slice(cursor))
      setMentions((list) => [...list, mention])
      setItems([])
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
    setItems(
      [
        ...agentItems,
        ...files.map((path) => ({ label: path, hint: 'file', apply: replace(path, { kind: 'file', path }) })),
      ].slice(0, 12),
    )
    setSelected(0)
  }

  const suggest = async (value: string, cursor: number) => {
    const slash = /^\/(\S*)$/.exec(value.slice(0, cursor))
    if (slash) return suggestCommands(slash[1]!.toLowerCase())
    const at = /(^|\s)@([^\s@]*)$/.exec(value.slice(0, cursor))
    if (!at) return setItems([])
    await suggestMentions(value, cursor, at[2]!)
  }

  const pick = (item: Suggestion | undefined) => {
    item?.apply()
    setItems([])
  }

  const onKey = (event: KeyboardEvent): boolean => {
    if (!items.length) return false
    if (event.key === 'ArrowDown') {
      event.preventDefault()
      setSelected((selected + 1) % items.length)
    } else if (event.key === 'ArrowUp') {
      event.preventDefault()
      setSelected((selected - 1 + items.length) % items.length)
    } else if (event.key === 'Tab' || event.key === 'Enter') {
      event.preventDefault()
      pick(items[selected])
    } else if (event.key === 'Escape') setItems([])
    else return false
    return true
  }

  return { items, selected, suggest, onKey, pick }
}

function readDataUrl(file: File): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const reader = new FileReader()
    reader.onload = () => resolve(String(reader.result))
    reader.onerror = () => reject(reader.error)
    reader.readAsDataURL(file)
  })
}

/** Files attached to the next prompt, as data URLs; a file over 10 MB is refused. */
export function useAttachments() {
  const [attachments, setAttachments] = useState<FilePartInput[]>([])
  const attach = async (files: FileList | File[]) => {
    for (const file of Array.from(files)) {
      if (file.size > MAX_ATTACHMENT) {
        reportError(`${file.name} is larger than 10 MB`)
        continue
      }
      const url = await readDataUrl(file)
      setAttachments((list) => [
        ...list,
        { type: 'file', mime: file.type || 'application/octet-stream', filename: file.name, url },
      ])
    }
  }
  return { attachments, setAttachments, attach }
}
