import { useSignal } from '@preact/signals'
import { useEffect } from 'preact/hooks'
import { call, type SnapshotFileDiff } from '../api'
import { api, diffVersion, reportError, sessionID, sessions, todos } from '../state'
import { DiffView } from './DiffView'

// OpenCode 1.18 (and this server) send `path` and `patch`; other versions `file`, or `before`/`after`.
type FileDiff = SnapshotFileDiff & { path?: string; before?: string; after?: string }
const named = (entries: FileDiff[]): FileDiff[] =>
  entries.map((entry) => ({ ...entry, file: entry.file ?? entry.path }))

/** The session's changes, file by file, refreshed on `session.diff`. */
export function DiffPanel() {
  const diffs = useSignal<FileDiff[] | undefined>(undefined)
  const patches = useSignal<Record<string, string>>({})
  const open = useSignal<string | undefined>(undefined)
  const reverted = useSignal<Set<string>>(new Set())
  const id = sessionID.value
  const version = diffVersion.value
  const revertID = sessions.value.find((entry) => entry.id === id)?.revert?.messageID
  useEffect(() => {
    if (!id) return
    let live = true
    // While reverted, the files the reverted message changed are back as they were: marked so.
    const undone = revertID ? call(api().session.diff({ sessionID: id, messageID: revertID })) : Promise.resolve([])
    Promise.all([call(api().session.diff({ sessionID: id })), undone])
      .then(async ([list, undoneList]) => {
        if (!live) return
        reverted.value = new Set(named(undoneList as FileDiff[]).map((entry) => entry.file ?? ''))
        const files = named(list as FileDiff[]).filter((entry) => entry.file)
        diffs.value = files
        const { createTwoFilesPatch } = await import('diff')
        patches.value = Object.fromEntries(
          files.map((entry) => [
            entry.file!,
            entry.patch ??
              createTwoFilesPatch(`a/${entry.file}`, `b/${entry.file}`, entry.before ?? '', entry.after ?? '', '', '', {
                context: 3,
              }),
          ]),
        )
      })
      .catch(reportError)
    return () => {
      live = false
    }
  }, [id, version, revertID])
  if (!id) return <p class="muted">No session open.</p>
  if (!diffs.value) return <p class="muted">Loading…</p>
  if (diffs.value.length === 0) return <p class="muted">No changes in this session.</p>
  return (
    <ul class="diff-files">
      {diffs.value.map((entry) => (
        <li
          key={entry.file}
          class={`diff-file ${reverted.value.has(entry.file!) ? 'reverted' : ''}`}
          data-file={entry.file}
        >
          <button
            class="diff-file-head"
            onClick={() => (open.value = open.value === entry.file ? undefined : entry.file!)}
          >
            <span class="file-name">{entry.file}</span>
            {reverted.value.has(entry.file!) && <span class="badge">reverted</span>}
            <span class="add">+{entry.additions}</span> <span class="del">−{entry.deletions}</span>
          </button>
          {open.value === entry.file && patches.value[entry.file!] !== undefined && (
            <DiffView patch={patches.value[entry.file!]!} />
          )}
        </li>
      ))}
    </ul>
  )
}

export function TodoPanel() {
  const list = todos.value
  if (list.length === 0) return <p class="muted">No todos.</p>
  return (
    <ul class="todos">
      {list.map((todo, i) => (
        <li key={i} class={`todo ${todo.status}`}>
          <span class="todo-mark" aria-hidden="true">
            {todo.status === 'completed'
              ? '✔'
              : todo.status === 'in_progress'
                ? '◐'
                : todo.status === 'cancelled'
                  ? '✕'
                  : '○'}
          </span>
          {todo.content}
        </li>
      ))}
    </ul>
  )
}
