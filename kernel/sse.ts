import type { ServerResponse } from 'node:http'

export interface SseClientOptions {
  /** Frames waiting for a slow client beyond this many bytes get the client dropped. */
  maxQueuedBytes: number
  onClose: () => void
}

/**
 * One SSE subscriber. Writes never block the publisher: when the socket pushes back, frames wait
 * in a bounded queue, and a client whose queue overflows is disconnected.
 */
export class SseClient {
  private readonly queue: string[] = []
  private queuedBytes = 0
  private closed = false

  constructor(
    private readonly response: ServerResponse,
    private readonly options: SseClientOptions,
  ) {
    response.on('drain', () => this.flush())
    response.on('close', () => this.close())
  }

  get isClosed(): boolean {
    return this.closed
  }

  /** Sends one frame; `false` when the client is gone or has just been dropped. */
  send(id: number, data: string): boolean {
    if (this.closed) return false
    const frame = `id: ${id}\ndata: ${data}\n\n`
    if (this.queue.length === 0 && !this.response.writableNeedDrain) {
      this.response.write(frame)
      return true
    }
    this.queuedBytes += frame.length
    if (this.queuedBytes > this.options.maxQueuedBytes) {
      this.close()
      this.response.destroy()
      return false
    }
    this.queue.push(frame)
    return true
  }

  /** Ends the stream after what is already written. */
  end(): void {
    if (this.closed) return
    // The queue is bounded, so handing all of it to the socket before ending is safe.
    for (const frame of this.queue) this.response.write(frame)
    this.close()
    this.response.end()
  }

  private flush(): void {
    while (this.queue.length > 0 && !this.response.writableNeedDrain && !this.closed) {
      const frame = this.queue.shift()!
      this.queuedBytes -= frame.length
      this.response.write(frame)
    }
  }

  private close(): void {
    if (this.closed) return
    this.closed = true
    this.queue.length = 0
    this.queuedBytes = 0
    this.options.onClose()
  }
}
