// The control queue: plugins ask the attached TUI something ({path, body}); the TUI long-polls
// `GET /tui/control/next` for it and answers with `POST /tui/control/response`.
import { NamedError } from '../../sdk/index.js'

/** Requests or answers waiting at most; the oldest is dropped beyond. */
const MAX_WAITING = 100

export interface ControlRequest {
  path: string
  body: unknown
}

export class TuiUnavailableError extends NamedError {
  constructor(message: string) {
    super('TuiUnavailableError', 503, { message })
  }
}

/** Two bounded FIFOs with waiters on each side. */
export class ControlQueue {
  private readonly requests: ControlRequest[] = []
  private readonly pollers: ((request: ControlRequest | undefined) => void)[] = []
  private readonly answers: unknown[] = []
  private readonly callers: { resolve(answer: unknown): void; reject(error: Error): void }[] = []

  /** Queues a request for the TUI; resolves with the next answer it posts. */
  request(request: ControlRequest): Promise<unknown> {
    const poller = this.pollers.shift()
    if (poller) poller(request)
    else {
      if (this.requests.length >= MAX_WAITING) this.requests.shift()
      this.requests.push(request)
    }
    if (this.answers.length) return Promise.resolve(this.answers.shift())
    return new Promise((resolve, reject) => {
      if (this.callers.length >= MAX_WAITING)
        this.callers.shift()!.reject(new TuiUnavailableError('Too many TUI requests are waiting'))
      this.callers.push({ resolve, reject })
    })
  }

  /** The next request, waiting for one; `undefined` when the wait was given up. */
  next(signal: AbortSignal): Promise<ControlRequest | undefined> {
    const queued = this.requests.shift()
    if (queued) return Promise.resolve(queued)
    return new Promise((resolve) => {
      const poller = (request: ControlRequest | undefined) => {
        signal.removeEventListener('abort', onAbort)
        resolve(request)
      }
      const onAbort = () => {
        const index = this.pollers.indexOf(poller)
        if (index >= 0) this.pollers.splice(index, 1)
        // A request handed to a poller that went away goes back to the front.
        resolve(undefined)
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.pollers.push(poller)
    })
  }

  /** An answer from the TUI: to the oldest waiting caller, else kept for the next one. */
  respond(answer: unknown): void {
    const caller = this.callers.shift()
    if (caller) caller.resolve(answer)
    else {
      if (this.answers.length >= MAX_WAITING) this.answers.shift()
      this.answers.push(answer)
    }
  }

  /** Ends every wait (the instance is going away). */
  close(): void {
    for (const poller of this.pollers.splice(0)) poller(undefined)
    for (const caller of this.callers.splice(0))
      caller.reject(new TuiUnavailableError('The TUI control queue was closed'))
  }
}
