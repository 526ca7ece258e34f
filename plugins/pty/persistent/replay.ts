/**
 * A terminal's recent output, in bytes, addressed by offsets from its start: what a client that
 * (re)attaches from an offset is sent. At most `capacity` bytes are kept; older ones are dropped.
 */
export class ReplayBuffer {
  private chunks: Buffer[] = []
  private size = 0
  /** Bytes output since the start: the offset the next byte will have. */
  tail = 0

  constructor(private readonly capacity: number) {}

  /** The offset of the oldest byte kept. */
  get head(): number {
    return this.tail - this.size
  }

  append(bytes: Buffer): void {
    if (bytes.length === 0) return
    this.chunks.push(bytes)
    this.size += bytes.length
    this.tail += bytes.length
    while (this.size > this.capacity) {
      const first = this.chunks[0]!
      const excess = this.size - this.capacity
      if (first.length <= excess) {
        this.chunks.shift()
        this.size -= first.length
      } else {
        this.chunks[0] = first.subarray(excess)
        this.size -= excess
      }
    }
  }

  /** The bytes kept from `offset` on (from the head when `offset` is older). */
  since(offset: number): Buffer {
    let skip = Math.max(0, offset - this.head)
    const parts: Buffer[] = []
    for (const chunk of this.chunks) {
      if (skip >= chunk.length) {
        skip -= chunk.length
        continue
      }
      parts.push(skip > 0 ? chunk.subarray(skip) : chunk)
      skip = 0
    }
    return Buffer.concat(parts)
  }
}
