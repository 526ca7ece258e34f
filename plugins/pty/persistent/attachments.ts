import type { WebSocket } from 'ws'

/** A client's connection to a persistent terminal. */
export interface Attachment {
  id: string
  socket: WebSocket
  /**
   * How its frames are input: 0, as they are; 1 (OpenCode 2.1's TUI), each binary frame is
   * `[kind u8][cols u16][rows u16][bytes]`, kind 0 taking control at that size, kind 1 typing.
   */
  inputProtocol: 0 | 1
}

/** A client with more than this queued is too slow: it is closed and may reattach from its offset. */
const SOCKET_HIGH_WATER = 8 * 1024 * 1024

/**
 * The clients attached to one persistent terminal, and which of them controls it: the one whose
 * size the terminal takes. Control changes when a client attaches as controller, types, or the
 * controller leaves (the latest other client takes over); each change bumps `generation` and is
 * announced to every client as `controller_changed`.
 */
export class Attachments {
  private readonly attached = new Map<string, Attachment>()
  controller: string | undefined
  generation = 0

  /** `onControl` runs when a client takes control (the session's most recently controlled terminal changes). */
  constructor(private readonly onControl: () => void) {}

  get size(): number {
    return this.attached.size
  }

  has(id: string): boolean {
    return this.attached.has(id)
  }

  /** Whether `socket` is the client's socket (not one its reattachment replaced). */
  isCurrent(id: string, socket: WebSocket): boolean {
    return this.attached.get(id)?.socket === socket
  }

  /** Adds a client; one reattaching under its id replaces its old socket (and keeps control if it had it). */
  add(attachment: Attachment): void {
    const previous = this.attached.get(attachment.id)
    this.attached.set(attachment.id, attachment)
    previous?.socket.close(1000, 'attachment replaced')
  }

  /** Gives control to `id` (nothing happens if it has it). */
  takeControl(id: string): void {
    if (this.controller === id) return
    this.controller = id
    this.generation++
    this.sendJson({ type: 'controller_changed', attachmentID: id, generation: this.generation })
    this.onControl()
  }

  /** Forgets the client when `socket` is still its socket; the latest other client takes control if it had it. */
  remove(id: string, socket: WebSocket): void {
    if (this.attached.get(id)?.socket !== socket) return
    this.attached.delete(id)
    if (this.controller !== id) return
    this.controller = undefined
    const next = [...this.attached.keys()].at(-1)
    if (next === undefined) this.generation++
    else this.takeControl(next)
  }

  sendJson(message: Record<string, unknown>): void {
    this.send(JSON.stringify(message))
  }

  sendBytes(bytes: Buffer): void {
    this.send(bytes)
  }

  closeAll(code: number, reason: string): void {
    for (const attachment of this.attached.values()) attachment.socket.close(code, reason)
    this.attached.clear()
  }

  private send(data: string | Buffer): void {
    for (const { socket } of this.attached.values()) {
      if (socket.bufferedAmount > SOCKET_HIGH_WATER) socket.close(1013, 'client too slow')
      else socket.send(data)
    }
  }
}
