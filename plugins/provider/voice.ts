// Voice sessions (`POST /api/experimental/voice/session`): OpenAI's Realtime API brokered with
// the server's OpenAI key, so a client gets a short-lived token (WebSocket) or the answer to its
// SDP offer (WebRTC) without ever holding the key. No key: 503 at once.
import { ServiceUnavailableError } from '../../sdk/index.js'

/** OpenAI answers within this time, or the session is refused (503). */
const VOICE_TIMEOUT_MS = 20_000
const DEFAULT_BASE_URL = 'https://api.openai.com/v1'

export type VoiceTransportInput = { type: 'webrtc'; sdp: string } | { type: 'websocket' }
export type VoiceTransport =
  { type: 'webrtc'; sdp: string } | { type: 'websocket'; url: string; token: string; expiresAt: number }

export interface VoiceRequest {
  model: string
  session?: object | null
  transport: VoiceTransportInput
}

export interface VoiceContext {
  /** The OpenAI key: a stored `openai` key, else `OPENAI_API_KEY`. */
  apiKey: string | undefined
  /** The `openai` provider's base URL (config `provider.openai.options.baseURL`), if set. */
  baseURL: string | undefined
}

function unavailable(message: string): ServiceUnavailableError {
  return new ServiceUnavailableError(message, 'openai')
}

async function call(url: string, init: RequestInit): Promise<Response> {
  let response: Response
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(VOICE_TIMEOUT_MS) })
  } catch (error) {
    throw unavailable(`OpenAI could not be reached: ${error instanceof Error ? error.message : String(error)}`)
  }
  if (!response.ok) {
    const detail = (await response.text().catch(() => '')).slice(0, 500)
    throw unavailable(`OpenAI refused the voice session (HTTP ${response.status})${detail ? `: ${detail}` : ''}`)
  }
  return response
}

/** Brokers one voice session; every failure on OpenAI's side is a 503 naming `openai`. */
export async function voiceSession(request: VoiceRequest, context: VoiceContext): Promise<VoiceTransport> {
  if (!context.apiKey)
    throw unavailable(
      'Voice needs an OpenAI API key on the server (a stored key for the openai integration, or OPENAI_API_KEY)',
    )
  const base = (context.baseURL ?? DEFAULT_BASE_URL).replace(/\/+$/, '')
  const session = { ...request.session, type: 'realtime', model: request.model }
  const authorization = `Bearer ${context.apiKey}`
  if (request.transport.type === 'webrtc') {
    const form = new FormData()
    form.set('sdp', request.transport.sdp)
    form.set('session', JSON.stringify(session))
    const response = await call(`${base}/realtime/calls`, { method: 'POST', headers: { authorization }, body: form })
    return { type: 'webrtc', sdp: await response.text() }
  }
  const response = await call(`${base}/realtime/client_secrets`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ session }),
  })
  const secret = (await response.json().catch(() => ({}))) as { value?: unknown; expires_at?: unknown }
  if (typeof secret.value !== 'string' || typeof secret.expires_at !== 'number')
    throw unavailable('OpenAI answered the voice session without a client secret')
  const url = new URL(`${base}/realtime`)
  url.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:'
  url.searchParams.set('model', request.model)
  // OpenAI gives seconds; every time in this API is in milliseconds.
  return { type: 'websocket', url: url.href, token: secret.value, expiresAt: secret.expires_at * 1000 }
}
