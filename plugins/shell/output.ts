// Pages of a shell's output file by byte offset, cut on UTF-8 character boundaries.
import { open } from 'node:fs/promises'
import type { ShellOutput } from './schemas.js'

/** A page's size when the client names none (OpenCode 2.1.2's). */
export const DEFAULT_PAGE_BYTES = 65_536
/** The largest page answered; a larger `limit` gets this much, and the cursor to go on from. */
export const MAX_PAGE_BYTES = 1024 * 1024

/** The length of the UTF-8 sequence a byte starts (1 for ASCII, continuation and invalid bytes). */
function sequenceLength(byte: number): number {
  return byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1
}

/** The length of `bytes` without a last character cut short (unchanged when it ends whole). */
function wholeLength(bytes: Buffer): number {
  for (let i = bytes.length - 1; i >= 0 && i >= bytes.length - 4; i--) {
    const byte = bytes[i]!
    if ((byte & 0xc0) === 0x80) continue
    return bytes.length - i >= sequenceLength(byte) ? bytes.length : i
  }
  return bytes.length
}

export interface PageRequest {
  cursor?: number
  limit?: number
}

/**
 * The output from byte `cursor` on, at most `limit` bytes (up to 3 more to finish a character
 * that alone is longer than `limit`). A page never ends inside a character while more may
 * follow, so pages joined give the text back. `running`: the file may still grow.
 */
export async function readPage(
  file: string,
  request: PageRequest,
  state: { running: boolean; truncated: boolean },
): Promise<ShellOutput> {
  const handle = await open(file, 'r')
  try {
    const size = (await handle.stat()).size
    const cursor = Math.min(request.cursor ?? 0, size)
    const limit = Math.min(request.limit ?? DEFAULT_PAGE_BYTES, MAX_PAGE_BYTES)
    const want = Math.min(limit, size - cursor)
    const buffer = Buffer.alloc(Math.min(want + 3, size - cursor))
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, cursor)
    const bytes = buffer.subarray(0, bytesRead)
    let length = Math.min(want, bytesRead)
    if (cursor + length < size || state.running) {
      const whole = wholeLength(bytes.subarray(0, length))
      const first = bytes.length > 0 ? sequenceLength(bytes[0]!) : 0
      // A first character longer than `limit` comes whole, so a client paging on always moves.
      length = whole > 0 ? whole : bytes.length >= first ? first : 0
    }
    const output = bytes.subarray(0, length).toString('utf8')
    return { output, cursor: cursor + length, size, truncated: state.truncated }
  } finally {
    await handle.close()
  }
}
