import { useState } from 'preact/hooks'
import { call } from '../api'
import {
  addProject,
  api,
  directory,
  openDirectory,
  openSession,
  projects,
  reportError,
  sessionID,
  sessions,
  statuses,
  type Session,
} from '../state'

export async function newSession(): Promise<void> {
  const created = await call(api().session.create({}))
  await openSession(created.id)
}

const archive = (id: string, archived: boolean) =>
  call(
    api().session.update({ sessionID: id, time: { archived: archived ? Date.now() : (null as unknown as number) } }),
  ).catch(reportError)

const remove = async (id: string, name: string) => {
  if (confirm(`Delete “${name}”? This cannot be undone.`))
    await call(api().session.delete({ sessionID: id })).catch(reportError)
}

const share = async (id: string) => {
  const info = await call(api().session.share({ sessionID: id })).catch(reportError)
  if (info?.share?.url) {
    await navigator.clipboard?.writeText(info.share.url).catch(() => {})
    prompt('Share link (copied to the clipboard when allowed):', info.share.url)
  }
}

/** Projects, and the sessions of the open one. */
export function Sidebar({ onNavigate }: { onNavigate: () => void }) {
  return (
    <nav class="sidebar" aria-label="Projects and sessions">
      <ProjectPicker />
      <SessionList onNavigate={onNavigate} />
    </nav>
  )
}

/** The open project, and a form to add one by its directory. */
function ProjectPicker() {
  const [adding, setAdding] = useState('')
  const add = async (event: Event) => {
    event.preventDefault()
    if (!adding.trim()) return
    await addProject(adding.trim()).then(() => setAdding(''), reportError)
  }
  return (
    <section>
      <label class="label" for="project-select">
        Project
      </label>
      <select
        id="project-select"
        value={directory.value}
        onChange={(e) => openDirectory(e.currentTarget.value).catch(reportError)}
      >
        {!projects.value.some((project) => project.worktree === directory.value) && (
          <option value={directory.value}>{directory.value}</option>
        )}
        {projects.value
          .filter((project) => project.worktree !== '/')
          .map((project) => (
            <option key={project.id} value={project.worktree}>
              {project.name || project.worktree}
            </option>
          ))}
      </select>
      <form class="add-project" onSubmit={add}>
        <input
          name="directory"
          placeholder="Add a project: /path/to/dir"
          value={adding}
          onInput={(e) => setAdding(e.currentTarget.value)}
        />
        <button type="submit">Add</button>
      </form>
    </section>
  )
}

/** The sessions, searched and without the archived ones unless asked; one at a time is renamed in place. */
function SessionList({ onNavigate }: { onNavigate: () => void }) {
  const [search, setSearch] = useState('')
  const [showArchived, setShowArchived] = useState(false)
  const [renaming, setRenaming] = useState<string | undefined>()
  const [title, setTitle] = useState('')
  const term = search.trim().toLowerCase()
  const list = sessions.value.filter(
    (entry) => (showArchived || !entry.time.archived) && (!term || entry.title.toLowerCase().includes(term)),
  )
  const rename = async (id: string) => {
    if (title.trim()) await call(api().session.update({ sessionID: id, title: title.trim() })).catch(reportError)
    setRenaming(undefined)
  }
  const startRenaming = (entry: Session) => {
    setRenaming(entry.id)
    setTitle(entry.title)
  }

  return (
    <section class="sessions">
      <div class="row">
        <input
          type="search"
          placeholder="Search sessions"
          value={search}
          onInput={(e) => setSearch(e.currentTarget.value)}
          aria-label="Search sessions"
        />
        <button class="primary" onClick={() => newSession().then(onNavigate, reportError)} title="New session (Alt+N)">
          New
        </button>
      </div>
      <label class="small muted">
        <input type="checkbox" checked={showArchived} onChange={(e) => setShowArchived(e.currentTarget.checked)} /> show
        archived
      </label>
      <ul>
        {list.map((entry) => (
          <SessionItem
            key={entry.id}
            entry={entry}
            renaming={renaming === entry.id}
            title={title}
            setTitle={setTitle}
            startRenaming={() => startRenaming(entry)}
            rename={() => rename(entry.id)}
            onNavigate={onNavigate}
          />
        ))}
        {list.length === 0 && <li class="muted small">No sessions yet.</li>}
      </ul>
    </section>
  )
}

interface SessionItemProps {
  entry: Session
  /** Shown as a title field instead of its link. */
  renaming: boolean
  title: string
  setTitle: (title: string) => void
  startRenaming: () => void
  rename: () => void
  onNavigate: () => void
}

function SessionItem({ entry, renaming, title, setTitle, startRenaming, rename, onNavigate }: SessionItemProps) {
  return (
    <li class={`session-item ${entry.id === sessionID.value ? 'active' : ''} ${entry.time.archived ? 'archived' : ''}`}>
      {renaming ? (
        <form
          onSubmit={(e) => {
            e.preventDefault()
            rename()
          }}
        >
          <input
            value={title}
            onInput={(e) => setTitle(e.currentTarget.value)}
            autoFocus
            onBlur={() => rename()}
            aria-label="New title"
          />
        </form>
      ) : (
        <button class="session-open" onClick={() => openSession(entry.id).then(onNavigate, reportError)}>
          {statuses.value[entry.id]?.type === 'busy' && <span class="dot running" aria-label="working" />}
          <span class="session-title">{entry.title}</span>
        </button>
      )}
      <span class="session-actions">
        <button class="icon" title="Rename" onClick={startRenaming}>
          ✎
        </button>
        <button class="icon" title="Share link" onClick={() => share(entry.id)}>
          ⤴
        </button>
        <button
          class="icon"
          title={entry.time.archived ? 'Unarchive' : 'Archive'}
          onClick={() => archive(entry.id, !entry.time.archived)}
        >
          ⌫
        </button>
        <button class="icon danger" title="Delete" onClick={() => remove(entry.id, entry.title)}>
          ✕
        </button>
      </span>
    </li>
  )
}
