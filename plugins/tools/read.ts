import { open, readdir, stat } from 'node:fs/promises'
import { extname, relative } from 'node:path'
import { Type } from 'typebox'
import { defineTool } from '../../sdk/index.js'
import type { ToolEnv } from './env.js'
import { resolveProjectPath } from './paths.js'

const DEFAULT_LIMIT = 2000
const MAX_LINE_LENGTH = 2000
const MAX_BYTES = 50 * 1024
const MAX_IMAGE_BYTES = 10 * 1024 * 1024

const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.bmp': 'image/bmp',
}

/** A NUL byte, or many control characters, in the first 4 KiB means binary. */
function isBinary(sample: Buffer): boolean {
  if (sample.includes(0)) return true
  let control = 0
  for (const byte of sample) if (byte < 9 || (byte > 13 && byte < 32)) control++
  return sample.length > 0 && control / sample.length > 0.3
}

export const readTool = (env: ToolEnv) =>
  defineTool({
    id: 'read',
    description: `Reads a file from the project. filePath may be absolute or relative to the working directory. Returns numbered lines (up to ${DEFAULT_LIMIT} by default); use offset (0-based line) and limit to read further parts of long files. Images are returned as attachments; binary files are refused.`,
    parameters: Type.Object({
      filePath: Type.String({ description: 'The path of the file to read' }),
      offset: Type.Optional(
        Type.Integer({ minimum: 0, description: 'The line number to start reading from (0-based)' }),
      ),
      limit: Type.Optional(
        Type.Integer({ minimum: 1, description: `The number of lines to read (defaults to ${DEFAULT_LIMIT})` }),
      ),
    }),
    async execute(args, context) {
      const path = await resolveProjectPath(context, args.filePath, 'read', [env.outputDir])
      const title = relative(context.instance.worktree, path) || path
      let info
      try {
        info = await stat(path)
      } catch {
        throw new Error(`File not found: ${path}`)
      }
      if (info.isDirectory()) {
        const entries = (await readdir(path, { withFileTypes: true }))
          .map((entry) => entry.name + (entry.isDirectory() ? '/' : ''))
          .sort()
        return {
          title,
          output: `${path} is a directory. Entries:\n${entries.join('\n')}`,
          metadata: { directory: true },
        }
      }
      const image = IMAGE_TYPES[extname(path).toLowerCase()]
      const handle = await open(path, 'r')
      try {
        if (image) {
          if (info.size > MAX_IMAGE_BYTES) throw new Error(`Image is too large to read (${info.size} bytes)`)
          const data = await handle.readFile()
          return {
            title,
            output: 'Image read successfully',
            metadata: { preview: 'Image read successfully', truncated: false },
            attachments: [{ mime: image, url: `data:${image};base64,${data.toString('base64')}`, filename: title }],
          }
        }
        const sample = Buffer.alloc(Math.min(4096, info.size))
        await handle.read(sample, 0, sample.length, 0)
        if (isBinary(sample)) throw new Error(`Cannot read binary file: ${path}`)
        const lines = (await handle.readFile('utf8')).split('\n')
        const offset = args.offset ?? 0
        const limit = args.limit ?? DEFAULT_LIMIT
        const out: string[] = []
        let bytes = 0
        let cut = false
        for (let i = offset; i < Math.min(lines.length, offset + limit); i++) {
          let line = lines[i]!
          if (line.length > MAX_LINE_LENGTH) line = line.slice(0, MAX_LINE_LENGTH) + '...'
          const numbered = `${String(i + 1).padStart(5, '0')}| ${line}`
          bytes += Buffer.byteLength(numbered) + 1
          if (bytes > MAX_BYTES) {
            cut = true
            break
          }
          out.push(numbered)
        }
        const last = offset + out.length
        const truncated = cut || last < lines.length
        let output = `<file>\n${out.join('\n')}\n`
        output += truncated
          ? `\n(File has more lines. Use 'offset' to read beyond line ${last})\n</file>`
          : `\n(End of file - total ${lines.length} lines)\n</file>`
        return { title, output, metadata: { preview: out.slice(0, 20).join('\n'), truncated, loaded: [] } }
      } finally {
        await handle.close()
      }
    },
  })
