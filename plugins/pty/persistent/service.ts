import type { PtyKernel } from '../index.js'
import { randomBytes } from 'node:crypto'
import { InvalidRequestError, type Instance } from '../../../sdk/index.js'
import { PtyNotFoundError, SessionNotFoundError } from '../errors.js'
import { PersistentPtyAdded, PersistentPtyRemoved } from '../events.js'
import { loadPty, preferredShell, terminalCommand, terminalDirectory, terminalEnv } from '../spawn.js'
import { loadScreenModules } from './screen.js'
import type { PersistentPtyCreateInput, PersistentPtyInfo, PersistentPtyReadResult, Size } from './schemas.js'
import { PersistentTerminal } from './terminal.js'

/** Persistent terminals one session may have running. */
export const MAX_PER_SESSION = 8
/** Persistent terminals this server runs at once, all sessions together. */
export const MAX_PERSISTENT = 32
const DEFAULT_SIZE: Size = { cols: 80, rows: 24 }

/** How the service finds sessions (the session plugin's `app.sessions`, when it runs). */
export interface SessionLookup {
  /** The instance of the session's directory; SessionNotFoundError when there is no such session. */
  locate(sessionID: string): Promise<Instance>
  exists(sessionID: string): boolean
}

/** The terminals, and per session the one most recently taken control of (what `read` reads). */
interface Registry {
  terminals: Map<string, PersistentTerminal>
  current: Map<string, string>
}

/** `pty_persistent_` and 16 random digits, as OpenCode 2.1 names them. */
function persistentId(): string {
  return `pty_persistent_${(randomBytes(8).readBigUInt64BE(0) % 10n ** 16n).toString().padStart(16, '0')}`
}

/**
 * OpenCode 2.1's persistent terminals: each belongs to a session and runs in this server process
 * whatever clients attach or leave, until its process exits, it is removed, its session is
 * deleted, or the server closes (its processes are tracked without an instance: disposing a
 * project does not end them). Server-wide state (kept across a dev-mode reload), not per project.
 */
export class PersistentPtyService {
  private readonly registry: Registry

  constructor(
    private readonly kernel: PtyKernel,
    private readonly sessions: SessionLookup,
  ) {
    this.registry = kernel.keep<Registry>('pty.persistent', () => ({ terminals: new Map(), current: new Map() }))
  }

  /** The session's terminals, oldest first; SessionNotFoundError for an unknown session. */
  list(sessionID: string): PersistentPtyInfo[] {
    this.requireSession(sessionID)
    return this.ofSession(sessionID).map((terminal) => terminal.info())
  }

  get(ptyID: string): PersistentTerminal {
    const terminal = this.registry.terminals.get(ptyID)
    if (!terminal) throw new PtyNotFoundError(ptyID)
    return terminal
  }

  /** The last rows of the session's most recently controlled terminal; null when there is none. */
  async read(sessionID: string, lines?: number): Promise<PersistentPtyReadResult | null> {
    this.requireSession(sessionID)
    const ptyID = this.registry.current.get(sessionID)
    const terminal = ptyID === undefined ? undefined : this.registry.terminals.get(ptyID)
    return terminal ? terminal.read(lines) : null
  }

  /** Starts a terminal for the session; `cwd` (default: the session's directory) must lie inside its project. */
  async create(sessionID: string, input: PersistentPtyCreateInput): Promise<PersistentPtyInfo> {
    const instance = await this.sessions.locate(sessionID)
    this.checkCapacity(sessionID)
    const env = this.kernel.env
    const cwd = terminalDirectory(instance, instance.directory, input.cwd)
    const requested = input.command ?? preferredShell(env, instance)
    const command = terminalCommand(env, instance, cwd, requested)
    const size = input.size ?? DEFAULT_SIZE
    const [xterm, { spawn }, processEnv] = await Promise.all([
      loadScreenModules(),
      loadPty(),
      terminalEnv(this.kernel, instance, cwd, input.env),
    ])
    // Checked again: other creates may have started while this one waited.
    this.checkCapacity(sessionID)
    const child = spawn(command, input.args, { name: 'xterm-256color', ...size, cwd, env: processEnv })
    const id = persistentId()
    const spec = { id, sessionID, title: input.title, command: requested, args: [...input.args], cwd, size }
    const terminal = new PersistentTerminal(spec, child, xterm, () => this.registry.current.set(sessionID, id))
    // No instance: the terminal outlives the project's instance; closing the server ends it.
    const untrack = this.kernel.processes.track(child, { label: 'persistent pty', group: true })
    this.registry.terminals.set(id, terminal)
    child.onData((data) => terminal.output(data))
    child.onExit(({ exitCode }) => {
      untrack()
      terminal.exited(Math.max(0, exitCode))
      if (this.registry.terminals.get(id) === terminal) this.forget(terminal)
    })
    const info = terminal.info()
    this.kernel.publish('global', PersistentPtyAdded, { sessionID, terminal: info })
    return info
  }

  /**
   * Resizes. The size is the controlling client's: while one controls the terminal, only a
   * request naming it (`attachmentID`) may resize, as in OpenCode 2.1 (which answers 503; a 400 here).
   */
  async resize(ptyID: string, size: Size, attachmentID?: string): Promise<PersistentPtyInfo> {
    const terminal = this.get(ptyID)
    const { controller } = terminal.attachments
    if (attachmentID !== controller && (attachmentID !== undefined || controller !== undefined))
      throw new InvalidRequestError(
        attachmentID === undefined
          ? `Attachment ${controller} controls the terminal: name it as attachmentID to resize`
          : `Attachment ${attachmentID} is not the terminal's controller`,
        { kind: 'Payload', field: 'attachmentID' },
      )
    await terminal.resize(size)
    return terminal.info()
  }

  /** Ends the terminal (its clients get `exited`) and forgets it at once. */
  remove(ptyID: string): void {
    this.end(this.get(ptyID))
  }

  /** Ends every persistent terminal. */
  shutdown(): void {
    for (const terminal of [...this.registry.terminals.values()]) this.end(terminal)
  }

  /** Ends the terminals of a deleted session. */
  endSession(sessionID: string): void {
    for (const terminal of this.ofSession(sessionID)) this.end(terminal)
    this.registry.current.delete(sessionID)
  }

  private end(terminal: PersistentTerminal): void {
    this.forget(terminal)
    terminal.kill()
  }

  private forget(terminal: PersistentTerminal): void {
    const { id, sessionID } = terminal.spec
    this.registry.terminals.delete(id)
    if (this.registry.current.get(sessionID) === id) this.registry.current.delete(sessionID)
    this.kernel.publish('global', PersistentPtyRemoved, { sessionID, ptyID: id })
  }

  private ofSession(sessionID: string): PersistentTerminal[] {
    return [...this.registry.terminals.values()].filter((terminal) => terminal.spec.sessionID === sessionID)
  }

  private requireSession(sessionID: string): void {
    if (!this.sessions.exists(sessionID)) throw new SessionNotFoundError(sessionID)
  }

  private checkCapacity(sessionID: string): void {
    if (this.ofSession(sessionID).length >= MAX_PER_SESSION)
      throw new InvalidRequestError(`Too many terminals (at most ${MAX_PER_SESSION} run per session)`)
    if (this.registry.terminals.size >= MAX_PERSISTENT)
      throw new InvalidRequestError(`Too many terminals (at most ${MAX_PERSISTENT} persistent terminals run at once)`)
  }
}
