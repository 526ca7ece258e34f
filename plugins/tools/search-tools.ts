import { realpath, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Type } from 'typebox'
import { defineTool } from '../../sdk/index.js'
import { globMatcher, listFiles, searchText } from '../../sdk/search.js'
import type { ToolEnv } from './env.js'
import { contains, locatePath } from './paths.js'

const LIMIT = 100
const MAX_LINE = 2000
/** Matches gathered before sorting by modification time; bounds the work on huge trees. */
const MAX_CANDIDATES = 10_000

// Never worth listing, as in OpenCode's list tool.
const SKIPPED_DIRECTORIES = new Set([
  'node_modules',
  '__pycache__',
  '.git',
  'dist',
  'build',
  'target',
  'vendor',
  'bin',
  'obj',
  '.idea',
  '.vscode',
  '.zig-cache',
  'zig-out',
  '.coverage',
  'coverage',
  'tmp',
  'temp',
  '.cache',
  'cache',
  'logs',
  '.venv',
  'venv',
  'env',
])

async function newestFirst(root: string, files: string[]): Promise<string[]> {
  const timed = await Promise.all(
    files.map(async (file) => ({
      file,
      mtime: await stat(join(root, file)).then(
        (s) => s.mtimeMs,
        () => 0,
      ),
    })),
  )
  return timed.sort((a, b) => b.mtime - a.mtime || a.file.localeCompare(b.file)).map((entry) => entry.file)
}

export const globTool = (env: ToolEnv) =>
  defineTool({
    id: 'glob',
    description:
      'Finds files by glob pattern (e.g. "**/*.ts", "src/**/*.test.ts"), newest first, honouring .gitignore. Returns absolute paths, at most 100.',
    parameters: Type.Object({
      pattern: Type.String({ description: 'The glob pattern to match files against' }),
      path: Type.Optional(
        Type.String({ description: 'The directory to search in (defaults to the working directory)' }),
      ),
    }),
    async execute(args, context) {
      const dir = await locatePath(context, args.path ?? '.', { kind: 'directory' })
      await context.ask({
        permission: 'glob',
        patterns: [args.pattern],
        always: ['*'],
        metadata: { pattern: args.pattern, path: dir.path },
      })
      const match = await globMatcher(args.pattern)
      const found: string[] = []
      for await (const file of listFiles({ root: dir.path, env: env.kernel.env, signal: context.abort })) {
        if (match(file)) found.push(file)
        if (found.length >= MAX_CANDIDATES) break
      }
      const sorted = (await newestFirst(dir.path, found)).slice(0, LIMIT)
      const lines = sorted.map((file) => join(dir.path, file))
      let output = lines.length ? lines.join('\n') : 'No files found'
      if (found.length > LIMIT) output += '\n\n(Results are truncated. Consider using a more specific path or pattern.)'
      return { title: dir.display, output, metadata: { count: lines.length, truncated: found.length > LIMIT } }
    },
  })

export const grepTool = (env: ToolEnv) =>
  defineTool({
    id: 'grep',
    description:
      'Searches file contents with a regular expression (e.g. "function\\s+\\w+"), honouring .gitignore; include filters file names by glob (e.g. "*.ts", "*.{ts,tsx}"). ' +
      'Returns matching lines with their line numbers, files newest first, at most 100 matches.',
    parameters: Type.Object({
      pattern: Type.String({ description: 'The regex pattern to search for in file contents' }),
      path: Type.Optional(
        Type.String({ description: 'The directory to search in (defaults to the working directory)' }),
      ),
      include: Type.Optional(
        Type.String({ description: 'File pattern to include in the search (e.g. "*.js", "*.{ts,tsx}")' }),
      ),
    }),
    async execute(args, context) {
      const dir = await locatePath(context, args.path ?? '.', { kind: 'directory' })
      await context.ask({
        permission: 'grep',
        patterns: [args.pattern],
        always: ['*'],
        metadata: { pattern: args.pattern, path: dir.path, include: args.include },
      })
      // Symlinks that lead out of the project (and out of the searched directory) are not followed.
      const roots = await Promise.all(
        [context.instance.worktree, context.instance.directory, dir.path].map((path) =>
          realpath(path).catch(() => path),
        ),
      )
      const accept = async (path: string) => {
        const real = await realpath(path).catch(() => undefined)
        return real !== undefined && roots.some((root) => contains(root, real))
      }
      const { matches, truncated } = await searchText({
        root: dir.path,
        env: env.kernel.env,
        signal: context.abort,
        pattern: args.pattern,
        include: args.include,
        limit: LIMIT,
        accept,
      })
      if (!matches.length)
        return { title: args.pattern, output: 'No files found', metadata: { matches: 0, truncated: false } }
      const byFile = new Map<string, typeof matches>()
      for (const match of matches) byFile.set(match.path, [...(byFile.get(match.path) ?? []), match])
      const out = [`Found ${matches.length} matches`]
      for (const file of await newestFirst(dir.path, [...byFile.keys()])) {
        out.push('', `${join(dir.path, file)}:`)
        for (const match of byFile.get(file)!) {
          const line = match.line.length > MAX_LINE ? match.line.slice(0, MAX_LINE) + '...' : match.line
          out.push(`  Line ${match.lineNumber}: ${line}`)
        }
      }
      if (truncated) out.push('', '(Results are truncated. Consider using a more specific path or pattern.)')
      return { title: args.pattern, output: out.join('\n'), metadata: { matches: matches.length, truncated } }
    },
  })

export const listTool = (env: ToolEnv) =>
  defineTool({
    id: 'list',
    description:
      'Lists files and directories under a path as a tree, honouring .gitignore and skipping build and dependency folders (node_modules, dist, ...). ' +
      'At most 100 files; ignore takes extra glob patterns to leave out. Prefer glob and grep when you know what you look for.',
    parameters: Type.Object({
      path: Type.Optional(Type.String({ description: 'The directory to list (defaults to the working directory)' })),
      ignore: Type.Optional(Type.Array(Type.String(), { description: 'Glob patterns to ignore' })),
    }),
    async execute(args, context) {
      const dir = await locatePath(context, args.path ?? '.', { kind: 'directory' })
      await context.ask({ permission: 'list', patterns: [dir.path], always: ['*'], metadata: { path: dir.path } })
      const extra = await Promise.all((args.ignore ?? []).map((pattern) => globMatcher(pattern)))
      const files: string[] = []
      let truncated = false
      for await (const file of listFiles({ root: dir.path, env: env.kernel.env, signal: context.abort })) {
        const segments = file.split('/')
        if (segments.slice(0, -1).some((segment) => SKIPPED_DIRECTORIES.has(segment))) continue
        if (extra.some((match) => match(file))) continue
        if (files.length >= LIMIT) {
          truncated = true
          break
        }
        files.push(file)
      }
      files.sort()
      // Render the tree: directories first at each level, two spaces per depth.
      interface Node {
        dirs: Map<string, Node>
        files: string[]
      }
      const tree: Node = { dirs: new Map(), files: [] }
      for (const file of files) {
        const segments = file.split('/')
        let node = tree
        for (const segment of segments.slice(0, -1)) {
          let next = node.dirs.get(segment)
          if (!next) node.dirs.set(segment, (next = { dirs: new Map(), files: [] }))
          node = next
        }
        node.files.push(segments.at(-1)!)
      }
      const lines = [`${dir.path}/`]
      const render = (node: Node, depth: number) => {
        for (const [name, child] of [...node.dirs].sort(([a], [b]) => a.localeCompare(b))) {
          lines.push(`${'  '.repeat(depth)}${name}/`)
          render(child, depth + 1)
        }
        for (const name of node.files.sort()) lines.push(`${'  '.repeat(depth)}${name}`)
      }
      render(tree, 1)
      if (truncated) lines.push('', `(Showing the first ${LIMIT} files. Use a more specific path, or glob.)`)
      return { title: dir.display, output: lines.join('\n'), metadata: { count: files.length, truncated } }
    },
  })
