// When a failed model call is tried again: 429 and 5xx (or what the provider marks retryable),
// up to MAX_RETRIES times, after `retry-after-ms` / `retry-after`, else 2 s, 4 s, 8 s … (max 30 s).
import { errorMessage } from './ai-sdk.js'
import type { TurnControl } from '../turn-control.js'

const MAX_RETRIES = 5

export function retryDelay(error: unknown, attempt: number): number {
  const headers = (error as { responseHeaders?: Record<string, string> }).responseHeaders ?? {}
  const ms = Number(headers['retry-after-ms'])
  if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, 60_000)
  const seconds = Number(headers['retry-after'])
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 60_000)
  return Math.min(2000 * 2 ** (attempt - 1), 30_000)
}

export function isRetryable(error: unknown): boolean {
  const e = error as { isRetryable?: boolean; statusCode?: number }
  return e?.isRetryable === true || e?.statusCode === 429 || (typeof e?.statusCode === 'number' && e.statusCode >= 500)
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
    function done() {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
  })
}

/**
 * Whether attempt `attempt`, which failed with `error` before producing anything, is tried
 * again. If so, waits the delay first with the session's status `retry` (and tells `scheduled`
 * when the next attempt starts), then `busy` again.
 */
export async function waitToRetry(
  error: unknown,
  attempt: number,
  turn: TurnControl,
  scheduled?: (at: number) => void,
): Promise<boolean> {
  const { signal } = turn
  if (signal.aborted || attempt > MAX_RETRIES || !isRetryable(error)) return false
  const delay = retryDelay(error, attempt)
  const next = Date.now() + delay
  turn.setStatus({ type: 'retry', attempt, message: errorMessage(error), next })
  scheduled?.(next)
  await sleep(delay, signal)
  if (signal.aborted) return false
  turn.setStatus({ type: 'busy' })
  return true
}
