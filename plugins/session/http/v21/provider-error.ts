// A failed model call as OpenCode 2.1 describes it (`Session.StructuredError`): the kind of
// failure (`provider.rate-limit`, `provider.internal`, `provider.transport` …), the provider's
// message, the HTTP status and body, and the wait the provider asked for.

/** The most of a provider's error body an event carries. */
const MAX_BODY = 10_000

export interface ProviderError {
  type: string
  message: string
  status?: number
  response?: { body: string }
  retryAfterMs?: number
}

/** What the `ai` SDK's errors carry (`APICallError` and the network errors it wraps). */
interface CallError {
  message?: unknown
  statusCode?: unknown
  responseBody?: unknown
  responseHeaders?: Record<string, string>
}

function kindOf(status: number | undefined): string {
  if (status === undefined || status === 408) return 'provider.transport'
  if (status === 429) return 'provider.rate-limit'
  if (status >= 500) return 'provider.internal'
  return 'provider.invalid-request'
}

/** The wait a provider asked for (`retry-after-ms`, or `retry-after` in seconds), if any. */
function retryAfterMs(headers: Record<string, string> | undefined): number | undefined {
  if (!headers) return undefined
  const ms = Number(headers['retry-after-ms'])
  if (headers['retry-after-ms'] !== undefined && Number.isFinite(ms) && ms >= 0) return Math.round(ms)
  const seconds = Number(headers['retry-after'])
  if (headers['retry-after'] !== undefined && Number.isFinite(seconds) && seconds >= 0)
    return Math.round(seconds * 1000)
  return undefined
}

/** 2.1's structured error of what a model call threw. */
export function providerError(error: unknown): ProviderError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as CallError
  const message = error instanceof Error ? error.message : typeof e.message === 'string' ? e.message : String(error)
  const status =
    typeof e.statusCode === 'number' && Number.isInteger(e.statusCode) && e.statusCode >= 100 && e.statusCode <= 599
      ? e.statusCode
      : undefined
  const wait = retryAfterMs(e.responseHeaders)
  return {
    type: kindOf(status),
    message,
    ...(status !== undefined ? { status } : {}),
    ...(typeof e.responseBody === 'string' ? { response: { body: e.responseBody.slice(0, MAX_BODY) } } : {}),
    ...(wait !== undefined ? { retryAfterMs: wait } : {}),
  }
}
