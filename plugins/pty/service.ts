import type { PtyKernel } from './index.js'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { basename, isAbsolute, resolve } from 'node:path'
import type { IPty } from 'node-pty'
import type { WebSocket } from 'ws'
import { BadRequestError, ascendingId, type Instance } from '../../sdk/index.js'
import { triggerHook } from '../../sdk/hooks.js'
import { findExecutable } from '../../sdk/executable.js'
import { realPathInside } from '../../sdk/paths.js'
import { PtyNotFoundError } from './errors.js'
import { PtyCreated, PtyDeleted, PtyExited, PtyUpdated } from './events.js'
import type { PtyCreateInput, PtyInfo, PtyShell, PtyUpdateInput } from './schemas.js'

/** Output kept for replay, in characters (the buffer holds at least this much, at most a frame more). */
export const BUFFER_CHARS = 2 * 1024 * 1024
/** Replayed output goes out in text frames of at most this many characters. */
export const FRAME_CHARS = 65_536
/** A client with more than this queued is too slow: it is closed and may reconnect from its cursor. */
const SOCKET_HIGH_WATER = 8 * 1024 * 1024
/** Running terminals per instance. */
const MAX_TERMINALS = 64
/** Shells that take `-l` to start as login shells (so the user's profile is read). */
const LOGIN_SHELLS = new Set(['bash', 'zsh', 'sh', 'ksh', 'fish', 'dash'])
const ACCEPTABLE_SHELLS = new Set(['bash', 'zsh', 'fish', 'sh', 'ksh', 'dash', 'nu', 'pwsh', 'tcsh', 'csh'])

let nodePty: typeof import('node-pty') | undefined
/** node-pty, loaded on the first terminal (a native module: start-up does not pay for it). */
async function loadPty(): Promise<typeof import('node-pty')> {
  return (nodePty ??= await import('node-pty'))
}

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
          terminal.process.kill()
        }
        terminals.clear()
      },
    )
  }

  /** Running terminals, oldest first. */
  list(instance: Instance): PtyInfo[] {
    return [...this.terminals(instance).values()].map((terminal) => terminal.info)
  }

  /** The running terminal; PtyNotFoundError when unknown or exited. */
  get(instance: Instance, ptyID: string): Terminal {
    const terminal = this.terminals(instance).get(ptyID)
    if (!terminal) throw new PtyNotFoundError(ptyID)
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
    const preferred = this.preferredShell(instance)
    const paths = [...new Set([preferred, ...listed])].filter((path) => existsSync(path))
    return paths.map((path) => ({ path, name: basename(path), acceptable: ACCEPTABLE_SHELLS.has(basename(path)) }))
  }

  private preferredShell(instance: Instance): string {
    const env = this.kernel.env
    const scope = { directory: instance.directory, worktree: instance.worktree, env }
    if (env.SHELL && isAbsolute(env.SHELL) && findExecutable(env.SHELL, scope)) return env.SHELL
    return findExecutable('bash', scope) ?? findExecutable('sh', scope) ?? '/bin/sh'
  }

  async create(instance: Instance, input: PtyCreateInput): Promise<PtyInfo> {
    const terminals = this.terminals(instance)
    if (terminals.size >= MAX_TERMINALS)
      throw new BadRequestError(`Too many terminals (at most ${MAX_TERMINALS} run per project directory)`)
    const env = this.kernel.env
    const cwd = resolve(instance.directory, input.cwd ?? '.')
    if (!existsSync(cwd) || !statSync(cwd).isDirectory()) throw new BadRequestError(`Not a directory: ${cwd}`, 'Body')
    if (!realPathInside(cwd, [instance.worktree, instance.directory]))
      throw new BadRequestError(`The terminal's directory must be inside the project: ${cwd}`, 'Body')
    const requested = input.command ?? this.preferredShell(instance)
    const command = findExecutable(requested, { directory: cwd, worktree: instance.worktree, env })
    if (!command) throw new BadRequestError(`Command not found: ${requested}`, 'Body')
    const args = [...(input.args ?? [])]
    if (LOGIN_SHELLS.has(basename(command)) && !args.includes('-l') && !args.includes('--login')) args.push('-l')

    const hooked = (
      await triggerHook(this.kernel, instance, 'shell.env', { cwd }, { env: {} as Record<string, string> })
    ).env
    const { spawn } = await loadPty()
    const id = ascendingId('pty')
    const child = spawn(command, args, {
      name: 'xterm-256color',
      cols: 80,
      rows: 24,
      cwd,
      env: { ...env, ...hooked, ...input.env, TERM: 'xterm-256color', OPENCODE_TERMINAL: '1' } as Record<
        string,
        string
      >,
    })
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
      if (terminals.get(id) === terminal) terminals.delete(id)
      terminal.closeSockets(1000, 'pty exited')
      if (!terminal.deleted && !instance.isDisposed)
        this.kernel.publish(instance, PtyExited, { id, exitCode: info.exitCode })
    })
    this.kernel.publish(instance, PtyCreated, { info })
    return info
  }

  update(instance: Instance, ptyID: string, input: PtyUpdateInput): PtyInfo {
    const terminal = this.get(instance, ptyID)
    if (input.title !== undefined) terminal.info.title = input.title
    if (input.size) terminal.process.resize(input.size.cols, input.size.rows)
    this.kernel.publish(instance, PtyUpdated, { info: terminal.info })
    return terminal.info
  }

  /** Ends the terminal's process and forgets it. */
  remove(instance: Instance, ptyID: string): void {
    const terminal = this.get(instance, ptyID)
    terminal.deleted = true
    this.terminals(instance).delete(ptyID)
    terminal.closeSockets(1000, 'pty deleted')
    terminal.process.kill('SIGHUP')
    this.kernel.publish(instance, PtyDeleted, { id: ptyID })
  }
}
