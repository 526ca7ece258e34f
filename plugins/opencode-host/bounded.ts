import { HookTimeoutError } from './errors.js'

/** Settles with `work`, or rejects after `ms` (the work is left running, its result ignored). */
export function bounded<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HookTimeoutError(what, ms)), ms)
    timer.unref()
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

/** The message of anything thrown. */
export const message = (error: unknown): string => (error instanceof Error ? error.message : String(error))
