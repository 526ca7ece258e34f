import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { type ToolContext } from '../../sdk/index.js'
import type { ToolEnv } from './env.js'
import type { LocatedPath } from './paths.js'

/** One file change a tool is about to make: `after` undefined deletes the file. */
export interface FileChange {
  target: LocatedPath
  before: string | undefined
  after: string | undefined
  /** When the change moves the file: where it goes. */
  moveTo?: LocatedPath
}

export interface FileDiffSummary {
  file: string
  before: string
  after: string
  additions: number
  deletions: number
}

let diffModule: Promise<typeof import('diff')> | undefined
/** The `diff` package, loaded on the first edit rather than at start-up. */
const loadDiff = () => (diffModule ??= import('diff'))

export async function summarize(change: FileChange): Promise<FileDiffSummary> {
  const { diffLines } = await loadDiff()
  let additions = 0
  let deletions = 0
  for (const part of diffLines(change.before ?? '', change.after ?? '')) {
    if (part.added) additions += part.count ?? 0
    if (part.removed) deletions += part.count ?? 0
  }
  return { file: change.target.path, before: change.before ?? '', after: change.after ?? '', additions, deletions }
}

export async function unifiedDiff(change: FileChange): Promise<string> {
  const { createTwoFilesPatch } = await loadDiff()
  const name = change.target.display
  return createTwoFilesPatch(name, change.moveTo?.display ?? name, change.before ?? '', change.after ?? '')
}

/** Reads a file as text, or undefined when it does not exist. */
export async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/**
 * Asks `edit` once for every file (with the diff in the metadata), then writes them all,
 * publishes `file.edited` and runs the post-edit hooks. Returns the hooks' notes.
 */
export async function applyChanges(
  env: ToolEnv,
  context: ToolContext,
  changes: FileChange[],
): Promise<{ diff: string; notes: string }> {
  const diff = (await Promise.all(changes.map(unifiedDiff))).join('\n')
  const patterns = [...new Set(changes.flatMap((c) => [c.target.display, ...(c.moveTo ? [c.moveTo.display] : [])]))]
  await context.ask({
    permission: 'edit',
    patterns,
    always: ['*'],
    metadata: { filepath: changes[0]?.target.path, diff },
  })
  const touched: string[] = []
  for (const change of changes) {
    if (change.after === undefined) {
      await rm(change.target.path, { force: true })
      touched.push(change.target.path)
      continue
    }
    const destination = change.moveTo?.path ?? change.target.path
    await mkdir(dirname(destination), { recursive: true })
    await writeFile(destination, change.after)
    if (change.moveTo && change.moveTo.path !== change.target.path) {
      await rm(change.target.path, { force: true })
      touched.push(change.target.path)
    }
    touched.push(destination)
  }
  const notes = await env.edited(context, touched)
  return { diff, notes }
}
