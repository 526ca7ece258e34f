import type { WorktreeKernel } from './index.js'
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdir, realpath, rm, stat } from 'node:fs/promises'
import { basename, dirname, join, isAbsolute } from 'node:path'
import { BadRequestError, NotFoundError, type Instance } from '../../sdk/index.js'
import { contains } from '../../sdk/paths.js'
import type { ProjectService } from '../project/types.js'
import {
  WorktreeCreateFailedError,
  WorktreeNameGenerationFailedError,
  WorktreeNotGitError,
  WorktreeRemoveFailedError,
  WorktreeResetFailedError,
} from './errors.js'
import { WorktreeFailed, WorktreeReady } from './events.js'
import { WORKTREE_NAME, type Worktree, type WorktreeCreateInput } from './schemas.js'

/** A start command still running after this long is killed and the worktree reported failed. */
export const START_TIMEOUT_MS = 10 * 60_000
/** Output of a start command kept for the failure message (its tail). */
const START_OUTPUT_CHARS = 64 * 1024
/** How much of that tail a `worktree.failed` message quotes. */
const MESSAGE_OUTPUT_CHARS = 2000
export const NAME_ATTEMPTS = 30

const ADJECTIVES =
  'brave calm clever cosmic crisp curious eager gentle glowing happy hidden jolly kind lucky mighty misty neon nimble playful proud quick quiet shiny silent stellar sunny swift tidy witty'.split(
    ' ',
  )
const NOUNS =
  'cabin cactus canyon circuit comet eagle engine falcon forest garden harbor island knight lagoon meadow moon mountain nebula orchid otter panda pixel planet river rocket sailor squid star tiger wizard wolf'.split(
    ' ',
  )
const pick = (words: string[]) => words[Math.floor(Math.random() * words.length)]!

/** `adjective-noun`; once those keep colliding, with a short random suffix. */
export function generatedName(attempt: number): string {
  const name = `${pick(ADJECTIVES)}-${pick(NOUNS)}`
  return attempt < NAME_ATTEMPTS / 2 ? name : `${name}-${randomBytes(2).toString('hex')}`
}

/** The pattern, plus git's branch-name rules that the pattern lets through. */
export function isWorktreeName(name: string): boolean {
  return new RegExp(WORKTREE_NAME).test(name) && !name.includes('..') && !name.endsWith('.') && !name.endsWith('.lock')
}

interface GitResult {
  code: number
  stdout: string
  stderr: string
}

export async function canonical(path: string): Promise<string> {
  const real = await realpath(path).catch(() => undefined)
  if (real) return real
  const parent = await realpath(dirname(path)).catch(() => dirname(path))
  return join(parent, basename(path))
}

export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false
}

/** The end of a process's output, at most `MESSAGE_OUTPUT_CHARS` characters. */
export function tail(output: string): string {
  const trimmed = output.trim()
  return trimmed.length > MESSAGE_OUTPUT_CHARS ? `…${trimmed.slice(-MESSAGE_OUTPUT_CHARS)}` : trimmed
}

/**
 * Extra checkouts ("sandboxes") of a git project, each a linked worktree on its own branch
 * `opencode/<name>` in `<data>/worktree/<projectID>/<name>`. The user's checkout is only ever
 * the place git runs `worktree add/remove` and `branch -D opencode/<name>` from.
 */
export class WorktreeService {
  /** Creates and removals of one project run one at a time (name checks, then git). */
  private readonly queues = new Map<string, Promise<unknown>>()
  /** The start command running in each new worktree (killing it is left to its instance's state). */
  private readonly starting = new Map<string, { child: ChildProcess; children: Set<ChildProcess> }>()

  constructor(
    private readonly kernel: WorktreeKernel,
    private readonly projects: ProjectService,
  ) {}

  private gitEnv(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...this.kernel.env, GIT_TERMINAL_PROMPT: '0' }
    // Set when the server runs from a git hook; they would point every command at another repository.
    for (const key of ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_COMMON_DIR']) delete env[key]
    return env
  }

  git(cwd: string, args: string[]): Promise<GitResult> {
    return new Promise((resolve) => {
      execFile('git', args, { cwd, env: this.gitEnv(), maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        resolve({ code, stdout, stderr: stderr || (error && typeof error.code !== 'number' ? error.message : '') })
      })
    })
  }

  /** The repository's worktrees (symlinks resolved), the main one first. */
  async worktrees(cwd: string): Promise<string[]> {
    const listed = await this.git(cwd, ['worktree', 'list', '--porcelain'])
    if (listed.code !== 0) throw new Error(`git worktree list failed: ${listed.stderr.trim()}`)
    const lines = listed.stdout.split('\n').filter((line) => line.startsWith('worktree '))
    return Promise.all(lines.map((line) => canonical(line.slice('worktree '.length))))
  }

  async branchExists(cwd: string, branch: string): Promise<boolean> {
    return (await this.git(cwd, ['show-ref', '--verify', '--quiet', `refs/heads/${branch}`])).code === 0
  }

  rootOf(instance: Instance): string {
    return join(this.kernel.paths.data, 'worktree', instance.project.id)
  }

  /** The project's worktree folder with symlinks resolved; undefined when none was made yet. */
  private async existingRoot(instance: Instance): Promise<string | undefined> {
    return realpath(this.rootOf(instance)).catch(() => undefined)
  }

  serial<T>(instance: Instance, work: () => Promise<T>): Promise<T> {
    const key = instance.project.id
    const next = (this.queues.get(key) ?? Promise.resolve()).then(work)
    const settled = next.catch(() => {})
    this.queues.set(key, settled)
    void settled.then(() => {
      if (this.queues.get(key) === settled) this.queues.delete(key)
    })
    return next
  }

  /** The sandboxes of the instance's project that this server made and that still exist. */
  async list(instance: Instance): Promise<string[]> {
    if (instance.project.vcs !== 'git') return []
    const root = await this.existingRoot(instance)
    if (!root) return []
    const ours = this.projects
      .current(instance)
      .sandboxes.filter((directory) => dirname(directory) === root && isWorktreeName(basename(directory)))
    const present = await Promise.all(ours.map(isDirectory))
    return ours.filter((_, i) => present[i])
  }

  /** Checks out the project's HEAD on a new branch in a new directory; start commands follow in the background. */
  async create(instance: Instance, input: WorktreeCreateInput): Promise<Worktree> {
    if (instance.project.vcs !== 'git') throw new WorktreeNotGitError()
    if (instance.project.id === 'global')
      throw new WorktreeCreateFailedError('The repository has no commit to check out yet')
    if (input.name !== undefined && !isWorktreeName(input.name)) {
      throw new BadRequestError(
        `body at "name": not a usable worktree name: "${input.name}" (lowercase letters, digits, ".", "_", "-"; no "..", no trailing "." or ".lock")`,
        'Body',
      )
    }
    const info = await this.serial(instance, async () => {
      const repo = instance.worktree
      await mkdir(this.rootOf(instance), { recursive: true })
      const root = await realpath(this.rootOf(instance))
      const entries = await this.worktrees(repo)
      const taken = async (name: string) =>
        (await stat(join(root, name)).catch(() => undefined)) !== undefined ||
        entries.includes(join(root, name)) ||
        (await this.branchExists(repo, `opencode/${name}`))

      let name = input.name
      if (name !== undefined) {
        if (await taken(name))
          throw new WorktreeCreateFailedError(
            `Worktree name already in use: ${name} (its directory or branch opencode/${name} exists)`,
            409,
          )
      } else {
        for (let attempt = 0; attempt < NAME_ATTEMPTS && name === undefined; attempt++) {
          const candidate = generatedName(attempt)
          if (!(await taken(candidate))) name = candidate
        }
        if (name === undefined) throw new WorktreeNameGenerationFailedError()
      }

      const worktree: Worktree = { name, branch: `opencode/${name}`, directory: join(root, name) }
      const added = await this.git(repo, [
        'worktree',
        'add',
        '--quiet',
        '-b',
        worktree.branch,
        worktree.directory,
        'HEAD',
      ])
      if (added.code !== 0) {
        // E.g. a failing post-checkout hook leaves the checkout made; neither it nor the branch existed before.
        const registered = (await this.worktrees(repo)).includes(worktree.directory)
        await this.discard(repo, worktree, registered).catch((error: unknown) =>
          this.kernel.log.warn({ err: error, directory: worktree.directory }, 'worktree left behind'),
        )
        throw new WorktreeCreateFailedError(tail(added.stderr) || 'Failed to create the git worktree')
      }
      this.projects.addSandbox(instance, worktree.directory)
      return worktree
    })
    const commands = [this.projects.current(instance).commands?.start, input.startCommand]
      .map((command) => command?.trim() ?? '')
      .filter(Boolean)
    setImmediate(() => {
      this.start(instance, info, commands).catch((error: unknown) =>
        this.kernel.log.error({ err: error, directory: info.directory }, 'worktree start failed'),
      )
    })
    return info
  }

  /** Runs the start commands one after another; `worktree.ready` when all succeed, else `worktree.failed`. */
  private async start(instance: Instance, worktree: Worktree, commands: string[]): Promise<void> {
    // OpenCode publishes these for the new worktree's directory; clients follow it on /global/event.
    const target = { directory: worktree.directory, project: { id: instance.project.id } }
    for (const command of commands) {
      const outcome = await this.runStartCommand(instance, worktree.directory, command)
      if (outcome === 'interrupted') return
      if (outcome !== 'ok') {
        this.kernel.log.warn({ directory: worktree.directory, command }, 'worktree start command failed')
        this.kernel.bus.publish(target, WorktreeFailed, { message: `Worktree ${worktree.name}: ${outcome}` })
        return
      }
    }
    this.kernel.bus.publish(target, WorktreeReady, { name: worktree.name, branch: worktree.branch })
  }

  /** Start commands running for an instance; disposing it kills them. */
  private running(instance: Instance): Set<ChildProcess> {
    return instance.state<Set<ChildProcess>>(
      'worktree.start-commands',
      () => new Set(),
      (children) => {
        for (const child of children) killGroup(child)
        children.clear()
      },
    )
  }

  /** 'ok', 'interrupted' (the instance or the worktree went away), or why it failed. */
  runStartCommand(instance: Instance, directory: string, command: string): Promise<string> {
    if (instance.isDisposed) return Promise.resolve('interrupted')
    const children = this.running(instance)
    return new Promise((resolve) => {
      // Its own process group, so a timeout also ends what the command started.
      const child = spawn('bash', ['-lc', command], {
        cwd: directory,
        env: this.gitEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      })
      const untrack = this.kernel.processes.track(child, { label: 'worktree start command', group: true, instance })
      child.once('close', untrack)
      children.add(child)
      this.starting.set(directory, { child, children })
      let output = ''
      const collect = (chunk: Buffer) => {
        output += chunk.toString('utf8')
        if (output.length > START_OUTPUT_CHARS * 2) output = output.slice(-START_OUTPUT_CHARS)
      }
      child.stdout?.on('data', collect)
      child.stderr?.on('data', collect)
      let timedOut = false
      const timer = setTimeout(() => {
        timedOut = true
        killGroup(child)
      }, START_TIMEOUT_MS)
      let done = false
      const finish = (outcome: () => string) => {
        if (done) return
        done = true
        clearTimeout(timer)
        if (this.starting.get(directory)?.child === child) this.starting.delete(directory)
        // Whoever killed it (dispose, remove) took it out of the set first.
        const interrupted = !children.delete(child) || instance.isDisposed
        resolve(interrupted ? 'interrupted' : outcome())
      }
      child.on('error', (error) => finish(() => `start command could not run: ${error.message}`))
      child.on('close', (code, signal) =>
        finish(() => {
          if (timedOut) return `start command timed out after ${START_TIMEOUT_MS / 60_000} minutes: ${command}`
          if (code === 0) return 'ok'
          const text = tail(output)
          return `start command ${signal ? `was killed by ${signal}` : `failed with exit code ${code}`}: ${command}${text ? `\n${text}` : ''}`
        }),
      )
    })
  }

  /** Ends the start command running in `directory`, if any, without an event. */
  stopStartCommand(directory: string): void {
    const start = this.starting.get(directory)
    if (!start) return
    this.starting.delete(directory)
    start.children.delete(start.child)
    killGroup(start.child)
  }

  /**
   * Removes a worktree this server made for the instance's project: `git worktree remove --force`,
   * its branch `opencode/<name>`, and its entry in the project's sandboxes. Anything else is 404.
   */
  async remove(instance: Instance, requested: string): Promise<true> {
    if (instance.project.vcs !== 'git') throw new WorktreeNotGitError()
    if (!isAbsolute(requested) || requested.includes('\0'))
      throw new BadRequestError(`body at "directory": must be an absolute path, got "${requested}"`, 'Body')
    return this.serial(instance, async () => {
      const directory = await canonical(requested)
      const entries = await this.worktrees(instance.worktree)
      const main = entries[0]
      if (directory === main)
        throw new WorktreeRemoveFailedError(`The project's main worktree cannot be removed: ${directory}`)
      const root = await this.existingRoot(instance)
      const notFound = new NotFoundError(
        `Worktree not found: ${directory} (only worktrees this server created for this project can be removed)`,
      )
      const name = basename(directory)
      if (!root || dirname(directory) !== root || !isWorktreeName(name)) throw notFound
      const listed = this.projects.current(instance).sandboxes.includes(directory)
      const registered = entries.includes(directory)
      if (!listed && !registered && !(await stat(directory).catch(() => undefined))) throw notFound

      this.stopStartCommand(directory)
      await this.disposeInstancesIn(directory)
      // Not from inside the worktree being removed (the request may come from it).
      const cwd = main ?? instance.worktree
      await this.discard(cwd, { name, branch: `opencode/${name}`, directory }, registered)
      this.projects.removeSandbox(instance, directory)
      return true as const
    })
  }

  /**
   * Puts a worktree this server made for the project back on the default branch: `git reset
   * --hard` to it and `git clean -ffdx` (its uncommitted work is lost). Local refs only: nothing is
   * fetched. The project's own checkout, and anything else, is 400 `WorktreeResetFailedError`.
   */
  async reset(instance: Instance, requested: string): Promise<true> {
    if (instance.project.vcs !== 'git') throw new WorktreeNotGitError()
    if (!isAbsolute(requested) || requested.includes('\0'))
      throw new BadRequestError(`body at "directory": must be an absolute path, got "${requested}"`, 'Body')
    return this.serial(instance, async () => {
      const directory = await canonical(requested)
      const entries = await this.worktrees(instance.worktree)
      const main = entries[0] ?? instance.worktree
      if (directory === main || directory === (await canonical(instance.worktree)))
        throw new WorktreeResetFailedError('Cannot reset the primary workspace')
      const root = await this.existingRoot(instance)
      if (!root || dirname(directory) !== root || !isWorktreeName(basename(directory)) || !entries.includes(directory))
        throw new WorktreeResetFailedError('Worktree not found')
      const base = await this.defaultBranch(main)
      if (!base) throw new WorktreeResetFailedError('Default branch not found')
      this.stopStartCommand(directory)
      for (const args of [
        ['reset', '--quiet', '--hard', base],
        ['clean', '-ffdx', '--quiet'],
      ]) {
        const result = await this.git(directory, args)
        if (result.code !== 0) throw new WorktreeResetFailedError(tail(result.stderr) || `git ${args[0]} failed`)
      }
      return true as const
    })
  }

  /** `origin`'s default branch as known locally, else `main` or `master`, else what the main checkout has checked out. */
  private async defaultBranch(repo: string): Promise<string | undefined> {
    const remote = await this.git(repo, ['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'])
    if (remote.code === 0 && remote.stdout.trim()) return remote.stdout.trim()
    for (const name of ['main', 'master']) if (await this.branchExists(repo, name)) return name
    const head = await this.git(repo, ['symbolic-ref', '--quiet', '--short', 'HEAD'])
    return head.code === 0 && head.stdout.trim() ? head.stdout.trim() : undefined
  }

  /** Removes our worktree's checkout, folder and branch, from `cwd` (a checkout that stays). */
  private async discard(cwd: string, worktree: Worktree, registered: boolean): Promise<void> {
    if (registered) {
      const removed = await this.git(cwd, ['worktree', 'remove', '--force', worktree.directory])
      if (removed.code !== 0)
        throw new WorktreeRemoveFailedError(tail(removed.stderr) || 'Failed to remove the git worktree')
    }
    // A folder git no longer knows (a pruned worktree, a failed create) is ours all the same.
    await rm(worktree.directory, { recursive: true, force: true })
    if (await this.branchExists(cwd, worktree.branch)) {
      const deleted = await this.git(cwd, ['branch', '-D', worktree.branch])
      // E.g. the user checked it out elsewhere to keep the work: the branch stays.
      if (deleted.code !== 0)
        this.kernel.log.warn({ branch: worktree.branch, stderr: deleted.stderr.trim() }, 'worktree branch not deleted')
    }
  }

  /** Instances opened in the worktree end before it is deleted (terminals, watchers, streams). */
  async disposeInstancesIn(directory: string): Promise<void> {
    for (const running of await this.kernel.instances.list()) {
      if (contains(directory, running.worktree) || contains(directory, running.directory))
        await this.kernel.instances.dispose(running.directory)
    }
  }
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    child.kill('SIGKILL')
  }
}
