import { useSignal } from '@preact/signals'
import { useEffect } from 'preact/hooks'
import { call, type SnapshotFileDiff } from '../api'
import { api, diffVersion, reportError, sessionID, todos } from '../state'
import { DiffView } from './DiffView'

// This server sends `before`/`after`; OpenCode sends `patch`. Either works.
type FileDiff = SnapshotFileDiff & { before?: string; after?: string }

/** The session's changes, file by file, refreshed on `session.diff`. */
export function DiffPanel() {
  const diffs = useSignal<FileDiff[] | undefined>(undefined)
  const patches = useSignal<Record<string, string>>({})
  const open = useSignal<string | undefined>(undefined)
  const id = sessionID.value
  const version = diffVersion.value
  useEffect(() => {
    if (!id) return
    let live = true
    call(api().session.diff({ sessionID: id }))
      .then(async (list) => {
        if (!live) return
        const files = (list as FileDiff[]).filter((entry) => entry.file)
        diffs.value = files
        const { createTwoFilesPatch } = await import('diff')
        patches.value = Object.fromEntries(files.map((entry) => [entry.file!, entry.patch ?? createTwoFilesPatch(`a/${entry.file}`, `b/${entry.file}`, entry.before ?? '', entry.after ?? '', '', '', { context: 3 })]))
      })
      .catch(reportError)
    return () => {
      live = false
    }
  }, [id, version])
  if (!id) return <p class="muted">No session open.</p>
  if (!diffs.value) return <p class="muted">Loading…</p>
  if (diffs.value.length === 0) return <p class="muted">No changes in this session.</p>
  return (
    <ul class="diff-files">
      {diffs.value.map((entry) => (
        <li key={entry.file} class="diff-file" data-file={entry.file}>
          <button class="diff-file-head" onClick={() => (open.value = open.value === entry.file ? undefined : entry.file!)}>
            <span class="file-name">{entry.file}</span>
            <span class="add">+{entry.additions}</span> <span class="del">−{entry.deletions}</span>
          </button>
          {open.value === entry.file && patches.value[entry.file!] !== undefined && <DiffView patch={patches.value[entry.file!]!} />}
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
            {todo.status === 'completed' ? '✔' : todo.status === 'in_progress' ? '◐' : todo.status === 'cancelled' ? '✕' : '○'}
          </span>
          {todo.content}
        </li>
      ))}
    </ul>
  )
}
