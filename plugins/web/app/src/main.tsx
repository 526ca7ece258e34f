import { signal } from '@preact/signals'
import { Component, render, type ComponentChildren } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { authenticated, call, client, logout, setUnauthorizedHandler } from './api'
import { Chat } from './components/Chat'
import { Login } from './components/Login'
import { DiffPanel, TodoPanel } from './components/Panels'
import { Prompt } from './components/Prompt'
import { Settings } from './components/Settings'
import { newSession, Sidebar } from './components/Sidebar'
import { TerminalPanel } from './components/Terminal'
import {
  connection,
  directory,
  disconnect,
  errors,
  loadProjects,
  needsLogin,
  openDirectory,
  projects,
  reportError,
  sessionID,
  sessions,
} from './state'
import './styles.css'

type Panel = 'diff' | 'todo' | 'terminal' | 'settings' | undefined
const panel = signal<Panel>((localStorage.getItem('opencode.panel') as Panel) || undefined)
const theme = signal<'light' | 'dark'>(
  (localStorage.getItem('opencode.theme') as 'light' | 'dark') ||
    (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'),
)
const sidebarOpen = signal(false)
const ready = signal(false)

function applyTheme() {
  document.documentElement.dataset.theme = theme.value
  localStorage.setItem('opencode.theme', theme.value)
}

function togglePanel(next: Panel) {
  panel.value = panel.value === next ? undefined : next
  localStorage.setItem('opencode.panel', panel.value ?? '')
}

async function start(): Promise<void> {
  needsLogin.value = false
  const params = new URLSearchParams(location.search)
  const session = /^\/s\/(ses[\w-]+)/.exec(location.pathname)?.[1]
  const known = params.get('dir') || localStorage.getItem('opencode.directory')
  // A known directory opens at once, in parallel with the project list (a 401 shows the login).
  if (known) {
    await Promise.all([openDirectory(known, session), loadProjects()])
  } else {
    if (!(await authenticated())) return void (needsLogin.value = true)
    await loadProjects()
    await openDirectory(
      projects.value.find((project) => project.worktree !== '/')?.worktree ?? (await fetchCwd()),
      session,
    )
  }
  ready.value = true
}

async function fetchCwd(): Promise<string> {
  return (await call(client().path.get())).directory
}

/** A part of the page that fails to render shows the error instead of taking the page down. */
class Boundary extends Component<{ children: ComponentChildren }, { error?: string }> {
  override componentDidCatch(error: unknown) {
    this.setState({ error: error instanceof Error ? error.message : String(error) })
    reportError(error)
  }
  render() {
    if (!this.state.error) return this.props.children
    return (
      <div class="empty" role="alert">
        <p>
          Something went wrong here: {this.state.error}{' '}
          <button onClick={() => this.setState({ error: undefined })}>Retry</button>
        </p>
      </div>
    )
  }
}

function toggleTheme() {
  theme.value = theme.value === 'dark' ? 'light' : 'dark'
  applyTheme()
}

/** Alt+N new session, Alt+D diff, Alt+T terminal, Alt+L light/dark, Ctrl+/ the prompt. */
function useShortcuts() {
  useEffect(() => {
    applyTheme()
    const onKey = (event: KeyboardEvent) => {
      const mod = event.altKey && !event.ctrlKey && !event.metaKey
      const key = event.key.toLowerCase()
      if (mod && key === 'n') {
        event.preventDefault()
        void newSession().catch(reportError)
      }
      if (mod && key === 'd') {
        event.preventDefault()
        togglePanel('diff')
      }
      if (mod && key === 't') {
        event.preventDefault()
        togglePanel('terminal')
      }
      if (mod && key === 'l') {
        event.preventDefault()
        toggleTheme()
      }
      if (event.key === '/' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault()
        document.getElementById('prompt-input')?.focus()
      }
    }
    addEventListener('keydown', onKey)
    return () => removeEventListener('keydown', onKey)
  }, [])
}

/** Starts the app once (a 401 on the way shows the login); true until that first start ends. */
function useBooting(): boolean {
  const [booting, setBooting] = useState(true)
  useEffect(() => {
    setUnauthorizedHandler(() => {
      needsLogin.value = true
      disconnect()
    })
    start()
      .catch(reportError)
      .finally(() => setBooting(false))
  }, [])
  return booting
}

function ConnectionState() {
  return (
    <span class={`connection ${connection.value}`} role="status" data-connection={connection.value}>
      {connection.value === 'connected'
        ? '● live'
        : connection.value === 'reconnecting'
          ? '↻ reconnecting…'
          : '… connecting'}
    </span>
  )
}

function PanelTabs() {
  return (
    <nav class="panel-tabs">
      <button
        class={panel.value === 'diff' ? 'active' : ''}
        onClick={() => togglePanel('diff')}
        title="Changes (Alt+D)"
      >
        Diff
      </button>
      <button class={panel.value === 'todo' ? 'active' : ''} onClick={() => togglePanel('todo')}>
        Todo
      </button>
      <button
        class={panel.value === 'terminal' ? 'active' : ''}
        onClick={() => togglePanel('terminal')}
        title="Terminal (Alt+T)"
      >
        Terminal
      </button>
      <button class={panel.value === 'settings' ? 'active' : ''} onClick={() => togglePanel('settings')}>
        Settings
      </button>
      <button class="icon" title="Light/dark (Alt+L)" onClick={toggleTheme}>
        ◐
      </button>
      <button
        class="icon"
        title="Sign out"
        onClick={() =>
          logout().then(() => {
            needsLogin.value = true
            disconnect()
          })
        }
      >
        Sign out
      </button>
    </nav>
  )
}

function TopBar({ title }: { title: string | undefined }) {
  return (
    <header class="topbar">
      <button class="icon menu" aria-label="Menu" onClick={() => (sidebarOpen.value = !sidebarOpen.value)}>
        ☰
      </button>
      <strong class="brand">OpenCode</strong>
      <span class="title" title={title}>
        {title ?? ''}
      </span>
      <ConnectionState />
      <PanelTabs />
    </header>
  )
}

/** The open side panel: diff, todo, terminal or settings. */
function SidePanel() {
  if (!panel.value) return null
  return (
    <aside class="panel" aria-label={panel.value}>
      <Boundary>
        {panel.value === 'diff' && <DiffPanel />}
        {panel.value === 'todo' && <TodoPanel />}
        {panel.value === 'terminal' && <TerminalPanel />}
        {panel.value === 'settings' && <Settings />}
      </Boundary>
    </aside>
  )
}

function Toasts() {
  return (
    <div class="toasts" aria-live="assertive">
      {errors.value.map((entry) => (
        <div key={entry.id} class="toast error" role="alert">
          {entry.message}
        </div>
      ))}
    </div>
  )
}

function Shell() {
  useShortcuts()
  const booting = useBooting()

  if (needsLogin.value) return <Login onDone={() => void start().catch(reportError)} />
  const session = sessions.value.find((entry) => entry.id === sessionID.value)
  return (
    <div class={`shell ${panel.value ? 'with-panel' : ''} ${sidebarOpen.value ? 'sidebar-open' : ''}`}>
      <TopBar title={session?.title} />
      <Boundary>
        <Sidebar onNavigate={() => (sidebarOpen.value = false)} />
      </Boundary>
      <main class="main">
        <Boundary>{booting && !ready.value ? <div class="empty">Loading…</div> : <Chat />}</Boundary>
        <Boundary>{directory.value && <Prompt />}</Boundary>
      </main>
      <SidePanel />
      <Toasts />
    </div>
  )
}

// A render failure must never leave a blank page.
addEventListener('error', (event) => reportError(event.error ?? event.message))
addEventListener('unhandledrejection', (event) => reportError(event.reason))
render(<Shell />, document.getElementById('app')!)
