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
