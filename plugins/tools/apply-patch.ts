import { Type } from 'typebox'
import { defineTool } from '../../sdk/index.js'
import { applyChanges, readText, type FileChange } from './edits.js'
import type { ToolEnv } from './env.js'
import { locatePath } from './paths.js'

interface Hunk {
  context?: string
  lines: { kind: ' ' | '-' | '+'; text: string }[]
  endOfFile: boolean
}

type Operation =
  | { type: 'add'; path: string; content: string }
  | { type: 'delete'; path: string }
  | { type: 'update'; path: string; moveTo?: string; hunks: Hunk[] }

/** Parses the `*** Begin Patch` format; throws with the line that is wrong. */
export function parsePatch(text: string): Operation[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n')
  let i = lines.findIndex((line) => line.trim() === '*** Begin Patch')
  if (i < 0) throw new Error('Invalid patch: it must start with "*** Begin Patch"')
  i++
  const operations: Operation[] = []
  const header = (line: string, prefix: string) =>
    line.startsWith(prefix) ? line.slice(prefix.length).trim() : undefined
  while (i < lines.length) {
    const line = lines[i]!
    if (line.trim() === '*** End Patch') return operations
    let path: string | undefined
    if ((path = header(line, '*** Add File: ')) !== undefined) {
      const content: string[] = []
      i++
      while (i < lines.length && !lines[i]!.startsWith('*** ')) {
        if (!lines[i]!.startsWith('+'))
          throw new Error(`Invalid patch: added file ${path} has a line without "+": ${lines[i]}`)
        content.push(lines[i]!.slice(1))
        i++
      }
      operations.push({ type: 'add', path, content: content.length ? content.join('\n') + '\n' : '' })
    } else if ((path = header(line, '*** Delete File: ')) !== undefined) {
      operations.push({ type: 'delete', path })
      i++
    } else if ((path = header(line, '*** Update File: ')) !== undefined) {
      i++
      const moveTo = lines[i] !== undefined ? header(lines[i]!, '*** Move to: ') : undefined
      if (moveTo !== undefined) i++
      const hunks: Hunk[] = []
      let hunk: Hunk | undefined
      while (i < lines.length) {
        const current = lines[i]!
        if (current.startsWith('@@')) {
          hunk = { context: current.slice(2).trim() || undefined, lines: [], endOfFile: false }
          hunks.push(hunk)
        } else if (current.trim() === '*** End of File') {
          if (hunk) hunk.endOfFile = true
        } else if (current.startsWith('*** ')) {
          break
        } else {
          const kind = current[0]
          if (!hunk) hunks.push((hunk = { lines: [], endOfFile: false }))
          if (kind === ' ' || kind === '-' || kind === '+') hunk.lines.push({ kind, text: current.slice(1) })
          else if (current === '') hunk.lines.push({ kind: ' ', text: '' })
          else throw new Error(`Invalid patch: in ${path}, a line must start with " ", "-" or "+": ${current}`)
        }
        i++
      }
      if (!hunks.length && moveTo === undefined) throw new Error(`Invalid patch: no changes for ${path}`)
      operations.push({ type: 'update', path, ...(moveTo !== undefined ? { moveTo } : {}), hunks })
    } else if (line.trim() === '') {
      i++
    } else {
      throw new Error(`Invalid patch: unexpected line: ${line}`)
    }
  }
  throw new Error('Invalid patch: it must end with "*** End Patch"')
}

/** Index of `needle` in `haystack` at or after `from`: exact first, then ignoring trailing and then surrounding whitespace. */
function seek(haystack: string[], needle: string[], from: number, endOfFile: boolean): number {
  const comparisons = [
    (a: string, b: string) => a === b,
    (a: string, b: string) => a.trimEnd() === b.trimEnd(),
    (a: string, b: string) => a.trim() === b.trim(),
  ]
  for (const same of comparisons) {
    const starts = endOfFile
      ? [haystack.length - needle.length]
      : Array.from({ length: Math.max(0, haystack.length - needle.length + 1 - from) }, (_, k) => from + k)
    for (const start of starts) {
      if (start < from) continue
      if (needle.every((line, k) => same(haystack[start + k] ?? '\u0000', line))) return start
    }
  }
  return -1
}

function applyHunks(path: string, content: string, hunks: Hunk[]): string {
  const lines = content.split('\n')
  const trailingNewline = content.endsWith('\n')
  if (trailingNewline) lines.pop()
  let cursor = 0
  for (const hunk of hunks) {
    if (hunk.context) {
      const at = seek(lines, [hunk.context], cursor, false)
      if (at < 0) throw new Error(`apply_patch: in ${path}, could not find the context line: ${hunk.context}`)
      cursor = at + 1
    }
    const old = hunk.lines.filter((l) => l.kind !== '+').map((l) => l.text)
    const replacement = hunk.lines.filter((l) => l.kind !== '-').map((l) => l.text)
    if (!old.length) {
      lines.splice(hunk.endOfFile ? lines.length : cursor, 0, ...replacement)
      cursor += replacement.length
      continue
    }
    const at = seek(lines, old, cursor, hunk.endOfFile)
    if (at < 0)
      throw new Error(`apply_patch: in ${path}, the lines to change were not found (first: ${JSON.stringify(old[0])})`)
    lines.splice(at, old.length, ...replacement)
    cursor = at + replacement.length
  }
  return lines.join('\n') + (trailingNewline || lines.length ? '\n' : '')
}

export const applyPatchTool = (env: ToolEnv) =>
  defineTool({
    id: 'apply_patch',
    description:
      'Applies a patch that adds, deletes, updates or moves files. Format:\n*** Begin Patch\n*** Add File: path\n+line\n*** Delete File: path\n' +
      '*** Update File: path\n*** Move to: new/path (optional)\n@@ optional context line\n unchanged line\n-removed line\n+added line\n*** End Patch\n' +
      'Every change is checked before any file is written: either the whole patch applies or nothing does.',
    parameters: Type.Object({
      patchText: Type.String({ description: 'The full patch text, from "*** Begin Patch" to "*** End Patch"' }),
    }),
    async execute(args, context) {
      const operations = parsePatch(args.patchText)
      if (!operations.length) throw new Error('Invalid patch: it changes nothing')
      const changes: FileChange[] = []
      const summary: string[] = []
      for (const operation of operations) {
        const target = await locatePath(context, operation.path)
        const before = await readText(target.path)
        if (operation.type === 'add') {
          if (before !== undefined)
            throw new Error(`apply_patch: cannot add ${target.display}: the file already exists`)
          changes.push({ target, before, after: operation.content })
          summary.push(`A ${target.display}`)
        } else if (operation.type === 'delete') {
          if (before === undefined)
            throw new Error(`apply_patch: cannot delete ${target.display}: the file does not exist`)
          changes.push({ target, before, after: undefined })
          summary.push(`D ${target.display}`)
        } else {
          if (before === undefined)
            throw new Error(`apply_patch: cannot update ${target.display}: the file does not exist`)
          const after = applyHunks(target.display, before, operation.hunks)
          const moveTo = operation.moveTo !== undefined ? await locatePath(context, operation.moveTo) : undefined
          changes.push({ target, before, after, ...(moveTo ? { moveTo } : {}) })
          summary.push(`M ${moveTo ? moveTo.display : target.display}`)
        }
      }
      const { diff, notes } = await applyChanges(env, context, changes)
      return {
        title: summary.map((line) => line.slice(2)).join(', '),
        output: `Success. Updated the following files:\n${summary.join('\n')}` + (notes ? `\n\n${notes}` : ''),
        metadata: { diff, files: summary },
      }
    },
  })
