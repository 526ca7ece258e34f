// Untracked files as `git diff` would show them once added: their line counts and new-file
// patches, made here rather than by git, so that a diff of the working tree needs no extra git
// process (or index copy) per request. The raw patch for `git apply` still comes from git.
import { createHash } from 'node:crypto'
import { lstat, open, readFile, readlink } from 'node:fs/promises'
import { join } from 'node:path'

/** Bytes git looks at for a NUL to call content binary. */
const BINARY_PROBE_BYTES = 8000
/** Bigger untracked files get counts but no patch. */
const MAX_FILE_PATCH_BYTES = 2 * 1024 * 1024

export interface NewFile {
  additions: number
  patch?: string
}

/** A path as git writes it in a patch header: C-quoted when it holds quotes, backslashes or control characters. */
export function quotePath(path: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what git quotes
  if (!/["\\\x00-\x1f\x7f]/.test(path)) return path
  const escapes: Record<string, string> = {
    '"': '\\"',
    '\\': '\\\\',
    '\t': '\\t',
    '\n': '\\n',
    '\r': '\\r',
    '\x07': '\\a',
    '\b': '\\b',
    '\v': '\\v',
    '\f': '\\f',
  }
  let quoted = ''
  for (const char of path) {
    const code = char.charCodeAt(0)
    quoted += escapes[char] ?? (code < 0x20 || code === 0x7f ? `\\${code.toString(8).padStart(3, '0')}` : char)
  }
  return `"${quoted}"`
}

const prefixed = (prefix: string, path: string) => {
  const quoted = quotePath(path)
  return quoted.startsWith('"') ? `"${prefix}${quoted.slice(1)}` : `${prefix}${quoted}`
}

/** Lines as `git diff --numstat` counts them: newlines, plus one for an unterminated last line. */
function lineCount(content: Buffer): number {
  if (content.length === 0) return 0
  let lines = 0
  for (let i = content.indexOf(0x0a); i !== -1; i = content.indexOf(0x0a, i + 1)) lines++
  return content[content.length - 1] === 0x0a ? lines : lines + 1
}

/** Lines of a file too big to hold, read in chunks; 0 when its start holds a NUL (binary). */
async function streamedLineCount(path: string): Promise<number> {
  const handle = await open(path, 'r')
  try {
    const buffer = Buffer.alloc(64 * 1024)
    let lines = 0
    let last = 0x0a
    for (let first = true; ; first = false) {
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null)
      if (bytesRead === 0) break
      const chunk = buffer.subarray(0, bytesRead)
      if (first && chunk.subarray(0, BINARY_PROBE_BYTES).includes(0)) return 0
      for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines++
      last = chunk[bytesRead - 1]!
    }
    return last === 0x0a ? lines : lines + 1
  } finally {
    await handle.close()
  }
}

/** `index 0000000..abcdef0`: the blob id git would give the content. */
const blobId = (content: Buffer) =>
  createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex').slice(0, 7)

/**
 * An untracked file as a new file: its added lines and, with `withPatch`, its patch (`+` lines,
 * `Binary files … differ`, or just the header for an empty file). Symlinks are not followed: the
 * link's target is its content, as git stores it. Undefined when the file is gone or unreadable.
 */
export async function newFile(worktree: string, file: string, withPatch: boolean): Promise<NewFile | undefined> {
  const path = join(worktree, file)
  const info = await lstat(path).catch(() => undefined)
  if (!info || (!info.isFile() && !info.isSymbolicLink())) return undefined
  try {
    if (!info.isSymbolicLink() && info.size > MAX_FILE_PATCH_BYTES) return { additions: await streamedLineCount(path) }
    const content = info.isSymbolicLink() ? Buffer.from(await readlink(path)) : await readFile(path)
    const binary = content.subarray(0, BINARY_PROBE_BYTES).includes(0)
    const additions = binary ? 0 : lineCount(content)
    if (!withPatch) return { additions }
    const mode = info.isSymbolicLink() ? '120000' : info.mode & 0o100 ? '100755' : '100644'
    const header = `diff --git ${prefixed('a/', file)} ${prefixed('b/', file)}\nnew file mode ${mode}\nindex 0000000..${blobId(content)}\n`
    if (content.length === 0) return { additions, patch: header }
    if (binary) return { additions, patch: `${header}Binary files /dev/null and ${prefixed('b/', file)} differ\n` }
    const text = content.toString('utf8')
    const terminated = text.endsWith('\n')
    const lines = (terminated ? text.slice(0, -1) : text).split('\n')
    const range = lines.length === 1 ? '+1' : `+1,${lines.length}`
    const body = lines.map((line) => `+${line}\n`).join('') + (terminated ? '' : '\\ No newline at end of file\n')
    // git ends a name holding a space with a tab in the ---/+++ lines, so a reader knows where it ends.
    const target = prefixed('b/', file) + (file.includes(' ') ? '\t' : '')
    return { additions, patch: `${header}--- /dev/null\n+++ ${target}\n@@ -0,0 ${range} @@\n${body}` }
  } catch {
    return undefined
  }
}
