import type { SnapshotKernel } from './index.js'
import { spawn } from 'node:child_process'
import { mkdir, rm, stat, writeFile } from 'node:fs/promises'
import { join, relative, resolve } from 'node:path'
import { type Instance } from '../../sdk/index.js'
import type { FileDiffInfo, SnapshotPatch, SnapshotService } from './types.js'

/** Contents bigger than this are left out of diffs (counts are still given). */
const MAX_DIFF_CONTENT = 1024 * 1024
/** Snapshots older than this are pruned (a session can revert at most this far back). */
const PRUNE_AFTER = '7.days.ago'
/** How often a project's snapshot store is garbage-collected. */
const GC_INTERVAL_MS = 24 * 60 * 60_000
/** Its mtime records the last collection, so a restart does not collect again at once. */
const GC_STAMP = 'opencode-kernel-gc'

interface GitResult {
  code: number
  stdout: Buffer
  stderr: string
}

function git(
  args: string[],
  options: { gitDir: string; workTree: string; env: NodeJS.ProcessEnv },
): Promise<GitResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      'git',
      [
        '-c',
        'core.autocrlf=false',
        '-c',
        'core.quotepath=false',
        '-c',
        'core.longpaths=true',
        '-c',
        'core.symlinks=true',
        '-c',
        'core.fsmonitor=false',
        ...args,
      ],
      {
        cwd: options.workTree,
        env: {
          ...options.env,
          GIT_DIR: options.gitDir,
          GIT_WORK_TREE: options.workTree,
          GIT_INDEX_FILE: join(options.gitDir, 'index'),
          GIT_TERMINAL_PROMPT: '0',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    const out: Buffer[] = []
    let err = ''
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk))
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < 10_000) err += chunk.toString()
    })
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code: code ?? 1, stdout: Buffer.concat(out), stderr: err }))
  })
}

/**
 * Snapshots with git plumbing against a separate git directory in the server's data dir (one per
 * project), whose work tree is the user's worktree: `add -A` + `write-tree` records a tree;
 * nothing is committed, and the user's `.git` is never written.
 */
export class GitSnapshots implements SnapshotService {
  /** One git operation at a time per project (they share an index), also across dev-mode reloads. */
  private readonly queues: Map<string, Promise<unknown>>
  private readonly ready: Map<string, Promise<void>>
  /** When each store is next due for `git gc`. */
  private readonly gcDue: Map<string, number>

  constructor(private readonly kernel: SnapshotKernel) {
    this.queues = kernel.keep('snapshot.queues', () => new Map())
    this.ready = kernel.keep('snapshot.ready', () => new Map())
    this.gcDue = kernel.keep('snapshot.gcDue', () => new Map())
  }

  private enabled(instance: Instance): boolean {
    return instance.project.vcs === 'git' && this.kernel.config(instance).snapshot !== false
  }

  private gitDir(instance: Instance): string {
    return join(this.kernel.paths.data, 'snapshot', instance.project.id)
  }

  private run<T>(instance: Instance, work: (exec: (args: string[]) => Promise<GitResult>) => Promise<T>): Promise<T> {
    const gitDir = this.gitDir(instance)
    const options = { gitDir, workTree: instance.worktree, env: this.kernel.env }
    const exec = async (args: string[]) => {
      const result = await git(args, options)
      if (result.code !== 0) throw new Error(`snapshot: git ${args[0]} failed: ${result.stderr.trim()}`)
      return result
    }
    const previous = this.queues.get(gitDir) ?? Promise.resolve()
    const next = previous.then(async () => {
      await this.init(gitDir, options)
      return work(exec)
    })
    const settled = next.catch(() => {})
    this.queues.set(gitDir, settled)
    void settled.then(() => {
      if (this.queues.get(gitDir) === settled) this.queues.delete(gitDir)
    })
    return next
  }

  private init(gitDir: string, options: { gitDir: string; workTree: string; env: NodeJS.ProcessEnv }): Promise<void> {
    let ready = this.ready.get(gitDir)
    if (!ready) {
      ready = (async () => {
        const exists = await stat(join(gitDir, 'HEAD')).then(
          () => true,
          () => false,
        )
        if (exists) return
        await mkdir(gitDir, { recursive: true, mode: 0o700 })
        const result = await git(['init', '--quiet'], options)
        if (result.code !== 0) throw new Error(`snapshot: git init failed: ${result.stderr.trim()}`)
      })()
      ready.catch(() => this.ready.delete(gitDir))
      this.ready.set(gitDir, ready)
    }
    return ready
  }

  async track(instance: Instance): Promise<string | undefined> {
    if (!this.enabled(instance)) return undefined
    const hash = await this.run(instance, async (exec) => {
      await exec(['add', '--all', '--', '.'])
      return (await exec(['write-tree'])).stdout.toString().trim()
    })
    void this.collect(instance).catch((error: unknown) => this.kernel.log.warn({ err: error }, 'snapshot gc failed'))
    return hash
  }

  /** Prunes snapshots older than a week, at most once a day per project, behind the queued work. */
  private async collect(instance: Instance): Promise<void> {
    const gitDir = this.gitDir(instance)
    const stamp = join(gitDir, GC_STAMP)
    let due = this.gcDue.get(gitDir)
    if (due === undefined) {
      let last = await stat(stamp).then(
        (s) => s.mtimeMs,
        () => undefined,
      )
      if (last === undefined) {
        // A new store: nothing to collect yet.
        last = Date.now()
        await writeFile(stamp, new Date(last).toISOString())
      }
      due = last + GC_INTERVAL_MS
      this.gcDue.set(gitDir, due)
    }
    if (Date.now() < due) return
    this.gcDue.set(gitDir, Date.now() + GC_INTERVAL_MS)
    await this.run(instance, async (exec) => {
      await exec(['gc', `--prune=${PRUNE_AFTER}`, '--quiet'])
      await writeFile(stamp, new Date().toISOString())
    })
  }

  async patch(instance: Instance, hash: string): Promise<SnapshotPatch> {
    return this.run(instance, async (exec) => {
      await exec(['add', '--all', '--', '.'])
      const after = (await exec(['write-tree'])).stdout.toString().trim()
      const out = (
        await exec(['diff-tree', '-r', '--no-renames', '--name-only', '-z', hash, after, '--'])
      ).stdout.toString()
      const files = out
        .split('\0')
        .filter(Boolean)
        .map((file) => resolve(instance.worktree, file))
      return { hash, files, after }
    })
  }

  async diff(instance: Instance, from: string, to?: string): Promise<FileDiffInfo[]> {
    return this.run(instance, async (exec) => {
      let target = to
      if (!target) {
        await exec(['add', '--all', '--', '.'])
        target = (await exec(['write-tree'])).stdout.toString().trim()
      }
      const numstat = (
        await exec(['diff-tree', '-r', '--no-renames', '--numstat', '-z', from, target, '--'])
      ).stdout.toString()
      const status = (await exec(['diff-tree', '-r', '--no-renames', '--name-status', '-z', from, target, '--'])).stdout
        .toString()
        .split('\0')
      const kinds = new Map<string, string>()
      for (let i = 0; i + 1 < status.length; i += 2) kinds.set(status[i + 1]!, status[i]!)
      const diffs: FileDiffInfo[] = []
      for (const entry of numstat.split('\0').filter(Boolean)) {
        const [added, deleted, file] = entry.split('\t') as [string, string, string]
        const binary = added === '-'
        const kind = kinds.get(file)
        const content = async (tree: string) => {
          if (binary) return ''
          const size = await exec(['cat-file', '-s', `${tree}:${file}`]).then(
            (r) => Number(r.stdout.toString()),
            () => -1,
          )
          if (size < 0 || size > MAX_DIFF_CONTENT) return ''
          return (await exec(['cat-file', 'blob', `${tree}:${file}`])).stdout.toString('utf8')
        }
        diffs.push({
          file,
          before: kind === 'A' ? '' : await content(from),
          after: kind === 'D' ? '' : await content(target),
          additions: binary ? 0 : Number(added),
          deletions: binary ? 0 : Number(deleted),
          status: kind === 'A' ? 'added' : kind === 'D' ? 'deleted' : 'modified',
        })
      }
      return diffs
    })
  }

  async revert(instance: Instance, patches: SnapshotPatch[]): Promise<void> {
    await this.run(instance, async (exec) => {
      const done = new Set<string>()
      for (const patch of patches) {
        for (const file of patch.files) {
          if (done.has(file)) continue
          done.add(file)
          const rel = relative(instance.worktree, file)
          if (rel.startsWith('..')) continue
          const existed = await exec(['cat-file', '-e', `${patch.hash}:${rel}`]).then(
            () => true,
            () => false,
          )
          if (existed) await exec(['checkout', patch.hash, '--', rel])
          else await rm(file, { force: true })
        }
      }
    })
  }

  async restore(instance: Instance, hash: string): Promise<void> {
    await this.run(instance, async (exec) => {
      // Files that exist now but not in `hash` go; then every file of `hash` is written back.
      await exec(['add', '--all', '--', '.'])
      const added = (
        await exec(['diff-index', '--cached', '--no-renames', '--diff-filter=A', '--name-only', '-z', hash, '--'])
      ).stdout.toString()
      for (const file of added.split('\0').filter(Boolean)) await rm(resolve(instance.worktree, file), { force: true })
      await exec(['read-tree', hash])
      await exec(['checkout-index', '--all', '--force'])
    })
  }
}
