import type { PtyKernel } from './index.js'
import { existsSync, readFileSync } from 'node:fs'
import { basename } from 'node:path'
import type { IPty } from 'node-pty'
import type { WebSocket } from 'ws'
import { BadRequestError, ascendingId, type Instance } from '../../sdk/index.js'
import { PtyNotFoundError } from './errors.js'
import { PtyCreated, PtyDeleted, PtyExited, PtyUpdated } from './events.js'
import type { PtyCreateInput, PtyInfo, PtyShell, PtyUpdateInput } from './schemas.js'
import { hangUp, loadPty, preferredShell, terminalCommand, terminalDirectory, terminalEnv } from './spawn.js'

/** Output kept for replay, in characters (the buffer holds at least this much, at most a frame more). */
export const BUFFER_CHARS = 2 * 1024 * 1024
/** Replayed output goes out in text frames of at most this many characters. */
export const FRAME_CHARS = 65_536
/** A client with more than this queued is too slow: it is closed and may reconnect from its cursor. */
const SOCKET_HIGH_WATER = 8 * 1024 * 1024
/** Running terminals per instance. */
const MAX_TERMINALS = 64
/** Exited terminals kept per instance for `/api/pty` (which shows them until removed); the oldest go first. */
const MAX_EXITED = 25
/** Shells that take `-l` to start as login shells (so the user's profile is read). */
const LOGIN_SHELLS = new Set(['bash', 'zsh', 'sh', 'ksh', 'fish', 'dash'])
const ACCEPTABLE_SHELLS = new Set(['bash', 'zsh', 'fish', 'sh', 'ksh', 'dash', 'nu', 'pwsh', 'tcsh', 'csh'])

const utf8 = new TextDecoder('utf-8', { fatal: true })

/** The `cursor` query: absent or invalid → 0 (everything kept); `-1` → no replay. */
export function parseCursor(value: string | undefined): number {
  if (value === undefined || !/^-?\d+$/.test(value)) return 0
  const cursor = Number(value)
  return cursor === -1 ? -1 : cursor < 0 || !Number.isSafeInteger(cursor) ? 0 : cursor
}

/** One terminal: the process, its recent output and the sockets attached to it. */
export class Terminal {
  private buffer = ''
  /** Characters output since the start: the cursor a client reconnects with. */
  total = 0
  deleted = false
  readonly sockets = new Set<WebSocket>()

  constructor(
    readonly info: PtyInfo,
    readonly process: IPty,
  ) {}

  output(data: string): void {
    this.total += data.length
    this.buffer += data
    // Trimmed a frame at a time, so a chatty process does not copy 2 MiB on every chunk.
    if (this.buffer.length > BUFFER_CHARS + FRAME_CHARS)
      this.buffer = this.buffer.slice(this.buffer.length - BUFFER_CHARS)
    for (const socket of this.sockets) {
      if (socket.bufferedAmount > SOCKET_HIGH_WATER) socket.close(1013, 'client too slow')
      else socket.send(data)
    }
  }

  /** Output from character offset `cursor` on, as far as it is still kept. */
  since(cursor: number): string {
    const start = this.total - this.buffer.length
    return this.buffer.slice(Math.max(0, cursor - start))
  }

  /** Replays from `cursor`, sends the meta frame, then streams live output and takes input. */
  attach(socket: WebSocket, cursor: number): void {
    if (cursor !== -1) {
      const replay = this.since(cursor)
      for (let i = 0; i < replay.length; i += FRAME_CHARS) socket.send(replay.slice(i, i + FRAME_CHARS))
    }
    socket.send(Buffer.concat([Buffer.from([0]), Buffer.from(JSON.stringify({ cursor: this.total }))]))
    this.sockets.add(socket)
    socket.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
      let text: string
      try {
        text = isBinary ? utf8.decode(bytes) : bytes.toString('utf8')
      } catch {
        return // binary frames that are not UTF-8 are dropped
      }
      if (this.info.status === 'running') this.process.write(text)
    })
    socket.on('close', () => this.sockets.delete(socket))
  }

  closeSockets(code: number, reason: string): void {
    for (const socket of this.sockets) socket.close(code, reason)
    this.sockets.clear()
  }
}

/**
 * Which terminals a surface sees: `/pty` (OpenCode 1.x) only running ones, `/api/pty` (OpenCode
 * 1.18 and 2.1) exited ones too, until they are removed.
 */
export interface PtyView {
  exited?: boolean
}

/** Terminals per instance, over node-pty; they end when the instance is disposed. */
export class PtyService {
  constructor(private readonly kernel: PtyKernel) {}

  private terminals(instance: Instance): Map<string, Terminal> {
    return instance.state<Map<string, Terminal>>(
      'pty.terminals',
      () => new Map(),
      async (terminals) => {
        for (const terminal of terminals.values()) {
          terminal.deleted = true
          terminal.closeSockets(1001, 'server closing')
          if (terminal.info.status === 'running') terminal.process.kill()
        }
        terminals.clear()
      },
    )
  }

  /** The terminals `view` sees, oldest first. */
  list(instance: Instance, view: PtyView = {}): PtyInfo[] {
    return [...this.terminals(instance).values()]
      .filter((terminal) => view.exited || terminal.info.status === 'running')
      .map((terminal) => terminal.info)
  }

  /** The terminal; PtyNotFoundError when unknown, or exited and `view` does not see exited ones. */
  get(instance: Instance, ptyID: string, view: PtyView = {}): Terminal {
    const terminal = this.terminals(instance).get(ptyID)
    if (!terminal || (!view.exited && terminal.info.status !== 'running')) throw new PtyNotFoundError(ptyID)
    return terminal
  }

  /** The shells listed in /etc/shells that exist, the preferred one first. */
  shells(instance: Instance): PtyShell[] {
    const listed = existsSync('/etc/shells')
      ? readFileSync('/etc/shells', 'utf8')
          .split('\n')
          .map((line) => line.trim())
          .filter((line) => line.startsWith('/'))
      : []
    const preferred = preferredShell(this.kernel.env, instance)
    const paths = [...new Set([preferred, ...listed])].filter((path) => existsSync(path))
    return paths.map((path) => ({ path, name: basename(path), acceptable: ACCEPTABLE_SHELLS.has(basename(path)) }))
  }

  async create(instance: Instance, input: PtyCreateInput): Promise<PtyInfo> {
    const terminals = this.terminals(instance)
    if (this.list(instance).length >= MAX_TERMINALS)
      throw new BadRequestError(`Too many terminals (at most ${MAX_TERMINALS} run per project directory)`)
    const cwd = terminalDirectory(instance, instance.directory, input.cwd)
    const requested = input.command ?? preferredShell(this.kernel.env, instance)
    const command = terminalCommand(this.kernel.env, instance, cwd, requested)
    const args = [...(input.args ?? [])]
    if (LOGIN_SHELLS.has(basename(command)) && !args.includes('-l') && !args.includes('--login')) args.push('-l')

    const env = await terminalEnv(this.kernel, instance, cwd, input.env)
    const { spawn } = await loadPty()
    const id = ascendingId('pty')
    const child = spawn(command, args, { name: 'xterm-256color', cols: 80, rows: 24, cwd, env })
    const info: PtyInfo = {
      id,
      title: input.title || `Terminal ${id.slice(-4)}`,
      command: requested,
      args,
      cwd,
      status: 'running',
      pid: child.pid,
    }
    const terminal = new Terminal(info, child)
    // A pty's child leads its own session and process group.
    const untrack = this.kernel.processes.track(child, { label: 'pty', group: true, instance })
    terminals.set(id, terminal)
    // An open terminal keeps the instance out of LRU eviction until its process exits.
    const unpin = instance.pin(`terminal ${id}`)
    child.onData((data) => terminal.output(data))
    child.onExit(({ exitCode }) => {
      untrack()
      unpin()
      info.status = 'exited'
      info.exitCode = Math.max(0, exitCode)
      if (terminals.get(id) === terminal) forgetOldExited(terminals)
      terminal.closeSockets(1000, 'pty exited')
      if (!terminal.deleted && !instance.isDisposed)
        this.kernel.publish(instance, PtyExited, { id, exitCode: info.exitCode })
    })
    this.kernel.publish(instance, PtyCreated, { info: copyOf(info) })
    return info
  }

  update(instance: Instance, ptyID: string, input: PtyUpdateInput, view: PtyView = {}): PtyInfo {
    const terminal = this.get(instance, ptyID, view)
    if (input.title !== undefined) terminal.info.title = input.title
    if (input.size && terminal.info.status === 'running') terminal.process.resize(input.size.cols, input.size.rows)
    this.kernel.publish(instance, PtyUpdated, { info: copyOf(terminal.info) })
    return terminal.info
  }

  /** Ends the terminal's process (if it still runs) and forgets it. */
  remove(instance: Instance, ptyID: string, view: PtyView = {}): void {
    const terminal = this.get(instance, ptyID, view)
    terminal.deleted = true
    this.terminals(instance).delete(ptyID)
    terminal.closeSockets(1000, 'pty deleted')
    if (terminal.info.status === 'running') hangUp(terminal.process, () => terminal.info.status === 'running')
    this.kernel.publish(instance, PtyDeleted, { id: ptyID })
  }
}

/** Forgets the oldest exited terminals beyond MAX_EXITED (maps iterate in insertion order). */
function forgetOldExited(terminals: Map<string, Terminal>): void {
  let excess = [...terminals.values()].filter((terminal) => terminal.info.status === 'exited').length - MAX_EXITED
  for (const [id, terminal] of terminals) {
    if (excess <= 0) return
    if (terminal.info.status !== 'exited') continue
    terminals.delete(id)
    excess--
  }
}

/** The info as it is now: an event must not change when the terminal does later (its exit). */
function copyOf(info: PtyInfo): PtyInfo {
  return { ...info, args: [...info.args] }
}
