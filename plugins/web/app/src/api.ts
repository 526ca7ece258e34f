// The one place the app talks to the server: the official OpenCode SDK client for the API, plus
// the event stream (with Last-Event-ID resume) and the cookie login, which the SDK does not cover.
import { createOpencodeClient, type Event, type OpencodeClient } from '@opencode-ai/sdk/v2/client'

export type { OpencodeClient }
export type * from '@opencode-ai/sdk/v2/client'

const origin = typeof location === 'undefined' ? 'http://localhost' : location.origin

/** Thrown for any failed call, with the server's error message. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
  }
}

let onUnauthorized: () => void = () => {}
/** What to do when the server asks for a login (401). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler
}

const clients = new Map<string, OpencodeClient>()
/** The typed client for one project directory. */
export function client(directory?: string): OpencodeClient {
  const key = directory ?? ''
  let found = clients.get(key)
  if (!found) {
    found = createOpencodeClient({ baseUrl: origin, directory, credentials: 'same-origin' } as Parameters<
      typeof createOpencodeClient
    >[0])
    clients.set(key, found)
  }
  return found
}

/**
 * Unwraps an SDK answer: the data, or an ApiError with the server's message
 * (`{name, data: {message}}`). Every call in the app goes through here.
 */
export async function call<T>(request: Promise<{ data?: T; error?: unknown; response?: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response?: Response }
  try {
    result = await request
  } catch (error) {
    throw new ApiError(error instanceof Error ? error.message : String(error), 0)
  }
  const status = result.response?.status ?? 0
  if (result.error !== undefined || status >= 400) {
    if (status === 401) onUnauthorized()
    const body = result.error as { data?: { message?: string }; message?: string } | undefined
    throw new ApiError(body?.data?.message ?? body?.message ?? `Request failed (${status})`, status)
  }
  return result.data as T
}

/** Signs in with the server password; the answer sets an HttpOnly cookie. */
export async function login(password: string): Promise<void> {
  const response = await fetch(`${origin}/web/login`, {
    method: 'POST',
    headers: { authorization: `Bearer ${password}` },
    credentials: 'same-origin',
  })
  if (response.status === 401) throw new ApiError('Wrong password', 401)
  if (!response.ok) throw new ApiError(`Login failed (${response.status})`, response.status)
}

export async function logout(): Promise<void> {
  await fetch(`${origin}/web/logout`, { method: 'POST', credentials: 'same-origin' })
}

/** Whether the server lets this browser in (no password, or a valid cookie). */
export async function authenticated(): Promise<boolean> {
  const response = await fetch(`${origin}/global/health`, { credentials: 'same-origin' })
  return response.status !== 401
}

/** An event of the stream: the SDK's union, plus the server's word that events after `Last-Event-ID` are gone. */
export type ServerEvent =
  Event | { type: 'server.resync.required'; properties: { lastEventID: string; reason: string } }

export interface EventStream {
  close(): void
}

/**
 * Follows `/event` of a directory. A dropped connection is retried with backoff and resumed from
 * the last frame id (`Last-Event-ID`), so no event is missed; `onState` says when it is down.
 */
export function subscribe(
  directory: string,
  onEvent: (event: ServerEvent) => void,
  onState: (state: 'connected' | 'reconnecting') => void,
): EventStream {
  let lastId: string | undefined
  let closed = false
  let controller: AbortController | undefined
  let attempt = 0

  const run = async () => {
    while (!closed) {
      controller = new AbortController()
      try {
        const headers: Record<string, string> = { accept: 'text/event-stream' }
        if (lastId) headers['last-event-id'] = lastId
        const response = await fetch(`${origin}/event?directory=${encodeURIComponent(directory)}`, {
          headers,
          signal: controller.signal,
          credentials: 'same-origin',
        })
        if (response.status === 401) onUnauthorized()
        if (!response.ok || !response.body) throw new Error(`event stream: ${response.status}`)
        attempt = 0
        onState('connected')
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
        let buffer = ''
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          buffer += value
          let index: number
          while ((index = buffer.indexOf('\n\n')) !== -1) {
            const frame = buffer.slice(0, index)
            buffer = buffer.slice(index + 2)
            let id: string | undefined
            let data = ''
            for (const line of frame.split('\n')) {
              if (line.startsWith('id:')) id = line.slice(3).trim()
              else if (line.startsWith('data:')) data += line.slice(5).trimStart()
            }
            if (id) lastId = id
            if (!data) continue
            try {
              onEvent(JSON.parse(data) as ServerEvent)
            } catch (error) {
              console.error('event handler failed', error)
            }
          }
        }
      } catch {
        // Reconnect below.
      }
      if (closed) return
      onState('reconnecting')
      attempt++
      await new Promise((resolve) => setTimeout(resolve, Math.min(5000, 250 * 2 ** Math.min(attempt, 5))))
    }
  }
  void run()
  return {
    close() {
      closed = true
      controller?.abort()
    },
  }
}

/** A WebSocket attached to a terminal, authorised by a one-time ticket. */
export async function connectTerminal(directory: string, ptyID: string): Promise<WebSocket> {
  const { ticket } = await call(
    client(directory).pty.connectToken({ ptyID }, { headers: { 'x-opencode-ticket': '1' } }),
  )
  const url = new URL(`/pty/${encodeURIComponent(ptyID)}/connect`, origin)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  url.searchParams.set('directory', directory)
  url.searchParams.set('ticket', ticket)
  return new WebSocket(url)
}
