import { randomBytes } from 'node:crypto'
import { mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export const MAX_OUTPUT_LINES = 2000
export const MAX_OUTPUT_BYTES = 50 * 1024

export interface Truncated {
  /** What the model sees: the head of the output, then where the rest is. */
  content: string
  truncated: boolean
  /** The file holding the full output when truncated. */
  outputPath?: string
}

/**
 * Cuts output longer than `maxLines` lines or `maxBytes` bytes; the full text goes to a file in
 * `outputDir` which the model can page through with the `read` tool.
 */
export async function truncateOutput(
  outputDir: string,
  text: string,
  options: { maxLines?: number; maxBytes?: number } = {},
): Promise<Truncated> {
  const maxLines = options.maxLines ?? MAX_OUTPUT_LINES
  const maxBytes = options.maxBytes ?? MAX_OUTPUT_BYTES
  const lines = text.split('\n')
  if (lines.length <= maxLines && Buffer.byteLength(text) <= maxBytes) return { content: text, truncated: false }
  const kept: string[] = []
  let bytes = 0
  for (const line of lines) {
    const size = Buffer.byteLength(line) + 1
    if (kept.length >= maxLines || bytes + size > maxBytes) break
    kept.push(line)
    bytes += size
  }
  await mkdir(outputDir, { recursive: true, mode: 0o700 })
  const outputPath = join(outputDir, `tool_${Date.now()}_${randomBytes(4).toString('hex')}.txt`)
  await writeFile(outputPath, text, { mode: 0o600 })
  const hidden = lines.length - kept.length
  const content =
    kept.join('\n') +
    `\n\n...${hidden} lines truncated...\n\nThe full output was saved to ${outputPath}. Use the read tool with offset and limit to view it, or grep to search it.`
  return { content, truncated: true, outputPath }
}

/** Saved outputs older than this are deleted at start-up, so the directory stays bounded. */
const OUTPUT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000

export async function pruneOutputs(outputDir: string, now = Date.now()): Promise<void> {
  const names = await readdir(outputDir).catch(() => [] as string[])
  for (const name of names) {
    const path = join(outputDir, name)
    const info = await stat(path).catch(() => undefined)
    if (info?.isFile() && now - info.mtimeMs > OUTPUT_RETENTION_MS) await rm(path, { force: true })
  }
}
