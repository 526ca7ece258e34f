// A terminal's WebSocket as a test client sees it.
import { WebSocket } from 'ws'
import { onCleanup } from './helper.js'

export interface TerminalSocket {
  socket: WebSocket
  /** Text received so far (replay and live output). */
  text(): string
  frames: (string | Buffer)[]
  meta: Promise<{ cursor: number }>
  closed: Promise<{ code: number; reason: string }>
  send(data: string | Buffer, binary?: boolean): void
}

/** Opens a terminal's WebSocket; rejects with the HTTP status when the upgrade is refused. */
export function connect(
  base: string,
  ptyID: string,
  query: Record<string, string> = {},
  headers: Record<string, string> = {},
  prefix = '',
): Promise<TerminalSocket> {
  const url = new URL(`${prefix}/pty/${ptyID}/connect`, base.replace(/^http/, 'ws'))
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value)
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers })
    onCleanup(() => socket.terminate())
    const frames: (string | Buffer)[] = []
    let metaResolve!: (meta: { cursor: number }) => void
    const meta = new Promise<{ cursor: number }>((r) => (metaResolve = r))
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      socket.on('close', (code, reason) => r({ code, reason: reason.toString() })),
    )
    socket.on('message', (data: Buffer, isBinary) => {
      if (isBinary) {
        frames.push(data)
        if (data[0] === 0) metaResolve(JSON.parse(data.subarray(1).toString('utf8')))
      } else frames.push(data.toString('utf8'))
    })
    socket.on('unexpected-response', (request, response) => {
      request.destroy()
      reject(Object.assign(new Error(`HTTP ${response.statusCode}`), { status: response.statusCode }))
    })
    socket.on('error', (error) => reject(error))
    socket.on('open', () =>
      resolve({
        socket,
        frames,
        meta,
        closed,
        text: () => frames.filter((f): f is string => typeof f === 'string').join(''),
        send: (data, binary = false) => socket.send(data, { binary }),
      }),
    )
  })
}

/** A persistent terminal's WebSocket (OpenCode 2.1) as a test client sees it. */
export interface PersistentSocket {
  socket: WebSocket
  /** JSON text frames (`attached`, `replay_complete`, `controller_changed`…) and binary output frames, in order. */
  frames: (Record<string, any> | Buffer)[]
  /** The JSON frames of one type. */
  messages(type: string): Record<string, any>[]
  /** Output (binary frames) received so far, as text. */
  output(): string
  closed: Promise<{ code: number; reason: string }>
  /** Resolves once `replay_complete` arrived (or the socket closed first, with its close). */
  ready: Promise<{ endOffset: number } | { code: number; reason: string }>
  send(data: string | Buffer): void
}

/**
 * `[kind][cols u16][rows u16][bytes]`: a frame of input protocol 1 (kind 0 takes control at that
 * size, kind 1 types).
 */
export function protocolFrame(kind: number, cols: number, rows: number, text = ''): Buffer {
  const payload = Buffer.from(text)
  const frame = Buffer.alloc(5 + payload.length)
  frame[0] = kind
  frame.writeUInt16BE(cols, 1)
  frame.writeUInt16BE(rows, 3)
  payload.copy(frame, 5)
  return frame
}

/** Opens a persistent terminal's WebSocket; rejects with the HTTP status when the upgrade is refused. */
export function connectPersistent(
  base: string,
  ptyID: string,
  query: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<PersistentSocket> {
  const url = new URL(`/api/experimental/persistent-pty/${ptyID}/connect`, base.replace(/^http/, 'ws'))
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value)
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers })
    onCleanup(() => socket.terminate())
    const frames: (Record<string, any> | Buffer)[] = []
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      socket.on('close', (code, reason) => r({ code, reason: reason.toString() })),
    )
    let replayed!: (value: { endOffset: number }) => void
    const ready = Promise.race([new Promise<{ endOffset: number }>((r) => (replayed = r)), closed])
    socket.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return void frames.push(data)
      const message = JSON.parse(data.toString('utf8')) as Record<string, any>
      frames.push(message)
      if (message.type === 'replay_complete') replayed({ endOffset: message.endOffset })
    })
    socket.on('unexpected-response', (request, response) => {
      request.destroy()
      reject(Object.assign(new Error(`HTTP ${response.statusCode}`), { status: response.statusCode }))
    })
    socket.on('error', (error) => reject(error))
    socket.on('open', () =>
      resolve({
        socket,
        frames,
        messages: (type) => frames.filter((f): f is Record<string, any> => !Buffer.isBuffer(f) && f.type === type),
        output: () => Buffer.concat(frames.filter((f): f is Buffer => Buffer.isBuffer(f))).toString('utf8'),
        closed,
        ready,
        send: (data) => socket.send(data),
      }),
    )
  })
}
