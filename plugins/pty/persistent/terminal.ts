import { basename } from 'node:path'
import type { IPty } from 'node-pty'
import type { RawData, WebSocket } from 'ws'
import { PtyNotFoundError } from '../errors.js'
import { hangUp } from '../spawn.js'
import { Attachments } from './attachments.js'
import { ReplayBuffer } from './replay.js'
import { Screen, loadScreenModules } from './screen.js'
import {
  MAX_COLS,
  MAX_ROWS,
  type PersistentPtyInfo,
  type PersistentPtyReadResult,
  type PersistentPtySnapshot,
  type Size,
} from './schemas.js'

/** Output kept for replay per persistent terminal, in bytes. */
export const REPLAY_BYTES = 1024 * 1024
/** Clients attached to one persistent terminal at once. */
export const MAX_ATTACHMENTS = 8
/** Replayed output goes out in binary frames of at most this many bytes. */
const FRAME_BYTES = 65_536

/** How a client attaches (the WebSocket's query, checked). */
export interface AttachOptions {
  /** The output offset to replay from. */
  cursor: number
  attachmentID: string
  role: 'controller' | 'observer'
  /** Take control from the client that has it (else a controller is refused while another controls). */
  takeover: boolean
  inputProtocol: 0 | 1
}

/** What a persistent terminal was started as. */
export interface TerminalSpec {
  id: string
  sessionID: string
  title: string
  command: string
  args: string[]
  cwd: string
  size: Size
}

function bytesOf(data: RawData): Buffer {
  return Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data)
}

function validSize(cols: number, rows: number): boolean {
  return cols >= 1 && cols <= MAX_COLS && rows >= 1 && rows <= MAX_ROWS
}

/**
 * One persistent terminal: its process, the screen its output draws (kept by an emulator), its
 * recent output for replay, and the clients attached to it. It runs whether or not anyone is
 * attached, until it exits or is ended.
 */
export class PersistentTerminal {
  title: string
  status: 'running' | 'exited' = 'running'
  exitCode?: number
  private size: Size
  private readonly replay = new ReplayBuffer(REPLAY_BYTES)
  private readonly screen: Screen
  readonly attachments: Attachments

  constructor(
    readonly spec: TerminalSpec,
    private readonly process: IPty,
    xterm: Awaited<ReturnType<typeof loadScreenModules>>,
    onControl: () => void,
  ) {
    this.title = spec.title
    this.size = { ...spec.size }
    this.screen = new Screen(xterm, spec.size.cols, spec.size.rows, (title) => this.retitle(title))
    this.attachments = new Attachments(onControl)
  }

  get id(): string {
    return this.spec.id
  }

  info(): PersistentPtyInfo {
    const { id, sessionID, command, args, cwd } = this.spec
    return {
      id,
      title: this.title,
      command,
      args,
      cwd,
      status: this.status,
      pid: this.process.pid,
      ...(this.exitCode === undefined ? {} : { exitCode: this.exitCode }),
      sessionID,
      foregroundProcess: this.foregroundProcess(),
      size: { ...this.size },
      output: { head: this.replay.head, tail: this.replay.tail },
    }
  }

  /** The name of the program in the foreground (node-pty reads it from the terminal's process group). */
  private foregroundProcess(): string | null {
    if (this.status !== 'running') return null
    try {
      const name = this.process.process
      return name ? basename(name) : null
    } catch {
      return null
    }
  }

  output(data: string): void {
    const bytes = Buffer.from(data, 'utf8')
    this.replay.append(bytes)
    this.screen.write(data, bytes.length)
    this.attachments.sendBytes(bytes)
  }

  /** A program set the window title (OSC 0/2): it becomes the terminal's title. */
  private retitle(title: string): void {
    this.title = title
    this.attachments.sendJson({ type: 'title_changed', title })
  }

  /** Resizes the process and the screen, then sends every client the redrawn screen (`resized`). */
  async resize(size: Size): Promise<void> {
    if (this.status !== 'running' || (size.cols === this.size.cols && size.rows === this.size.rows)) return
    this.size = { ...size }
    this.process.resize(size.cols, size.rows)
    this.screen.resize(size.cols, size.rows)
    await this.settled()
    const { generation } = this.attachments
    this.attachments.sendJson({ type: 'resized', ...size, generation, checkpoint: this.screen.checkpoint() })
  }

  /** The last `lines` rows (default: the screen's height), scrollback included. */
  async read(lines?: number): Promise<PersistentPtyReadResult> {
    await this.settled()
    const { id, cwd } = this.spec
    return {
      ptyID: id,
      title: this.title,
      cwd,
      foregroundProcess: this.foregroundProcess(),
      screen: {
        text: this.screen.lastRows(lines ?? this.size.rows).join('\n'),
        ...this.size,
        cursor: this.screen.cursor(),
      },
    }
  }

  /** The screen and, as `info.output.tail`, the offset it shows the output up to: attaching from there misses nothing. */
  async snapshot(): Promise<PersistentPtySnapshot> {
    await this.settled()
    const info = this.info()
    info.output = { head: Math.min(info.output.head, this.screen.parsed), tail: this.screen.parsed }
    return {
      info,
      text: this.screen.text(),
      checkpoint: this.screen.checkpoint(),
      cursor: this.screen.cursor(),
    }
  }

  /**
   * Waits until the screen shows all output sent to clients (a checkpoint then loses none of it;
   * output that keeps coming is waited for a few rounds only); PtyNotFoundError when the
   * terminal ended meanwhile.
   */
  private async settled(): Promise<void> {
    for (let round = 0; round < 5; round++) {
      await this.screen.settled()
      if (this.status !== 'running') throw new PtyNotFoundError(this.spec.id)
      if (this.screen.parsed >= this.replay.tail) return
    }
  }

  /**
   * Attaches a client: `attached` (its role, the control generation, what is replayed), the
   * output from its cursor in binary frames, `replay_complete`, then live output, and, when it
   * attached as controller, `controller_changed` to everyone.
   */
  attach(socket: WebSocket, options: AttachOptions): void {
    const refusal = this.refusal(options)
    if (refusal) return socket.close(refusal[0], refusal[1])
    const { cursor, attachmentID: id, inputProtocol } = options
    const control = options.role === 'controller' && this.attachments.controller !== id
    const { head, tail } = this.replay
    socket.send(
      JSON.stringify({
        type: 'attached',
        attachmentID: id,
        inputProtocol,
        info: this.info(),
        role: control || this.attachments.controller === id ? 'controller' : 'observer',
        generation: this.attachments.generation + (control ? 1 : 0),
        replay: {
          requestedOffset: cursor,
          availableOffset: Math.max(cursor, head),
          endOffset: tail,
          truncated: cursor < head,
        },
      }),
    )
    const replay = this.replay.since(cursor)
    for (let start = 0; start < replay.length; start += FRAME_BYTES)
      socket.send(replay.subarray(start, start + FRAME_BYTES))
    socket.send(JSON.stringify({ type: 'replay_complete', endOffset: tail }))
    this.attachments.add({ id, socket, inputProtocol })
    socket.on('message', (data: RawData) => this.input(id, socket, inputProtocol, bytesOf(data)))
    socket.on('close', () => this.attachments.remove(id, socket))
    if (control) this.attachments.takeControl(id)
  }

  /** Why a client cannot attach, as a close code and reason (OpenCode 2.1 closes with 4404 `terminal unavailable`). */
  private refusal(options: AttachOptions): [number, string] | undefined {
    if (this.status !== 'running' || options.cursor > this.replay.tail) return [4404, 'terminal unavailable']
    const { controller } = this.attachments
    if (options.role === 'controller' && controller !== undefined && controller !== options.attachmentID)
      if (!options.takeover) return [4404, 'terminal unavailable']
    if (!this.attachments.has(options.attachmentID) && this.attachments.size >= MAX_ATTACHMENTS)
      return [1013, 'too many attachments']
    return undefined
  }

  /** A client's frame: typing takes control; with input protocol 1 the frame also carries the client's size. */
  private input(id: string, socket: WebSocket, protocol: 0 | 1, bytes: Buffer): void {
    if (this.status !== 'running' || !this.attachments.isCurrent(id, socket)) return
    if (protocol === 0) {
      this.attachments.takeControl(id)
      this.process.write(bytes)
      return
    }
    if (bytes.length < 5) return
    const kind = bytes[0]
    const size = { cols: bytes.readUInt16BE(1), rows: bytes.readUInt16BE(3) }
    if ((kind !== 0 && kind !== 1) || !validSize(size.cols, size.rows)) return
    this.attachments.takeControl(id)
    void this.resize(size).catch(() => {})
    if (kind === 1 && bytes.length > 5) this.process.write(bytes.subarray(5))
  }

  /** The process ended: clients get `exited` and a 1000 close, the screen is freed. */
  exited(exitCode: number): void {
    this.status = 'exited'
    this.exitCode = exitCode
    this.attachments.sendJson({ type: 'exited', exitCode, finalOffset: this.replay.tail })
    this.attachments.closeAll(1000, '')
    this.screen.dispose()
  }

  kill(): void {
    if (this.status === 'running') hangUp(this.process, () => this.status === 'running')
  }
}
