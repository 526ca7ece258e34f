import type { ShellKernel } from './index.js'
import { mkdirSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidRequestError, ascendingId, type Instance } from '../../sdk/index.js'
import { checkVariables, type SessionEnvironments } from './environments.js'
import { ShellNotFoundError } from './errors.js'
import { ShellCreated, ShellDeleted, ShellExited } from './events.js'
import { checkCommand, chooseShell, resolveCwd, shellEnvironment } from './launch.js'
import { readPage, type PageRequest } from './output.js'
import type { ShellInfo, ShellOutput } from './schemas.js'
import { ShellProcess } from './shell-process.js'
import type { ShellApi, ShellRunOptions, ShellStartInput } from './types.js'

/** Commands running at once per location; one more is a 400 until one ends or is removed. */
export const MAX_RUNNING_SHELLS = 32
/** Ended commands kept per location (with their output); the oldest is removed beyond. */
export const MAX_KEPT_SHELLS = 256
/** How long disposing a location waits for its killed commands to be gone. */
const DISPOSE_WAIT_MS = 3000

/** One command of a location: its info, and its process while it runs. */
interface Shell {
  info: ShellInfo
  process: ShellProcess | undefined
  /** The output cap was reached: set once the process ended. */
  truncated: boolean
  ended: Promise<ShellInfo>
  removed: boolean
}

/** A copy of a command's info, for callers and events: the kept one changes when the command ends. */
function snapshot(info: ShellInfo): ShellInfo {
  return { ...info, metadata: { ...info.metadata }, time: { ...info.time } }
}

/** Shell commands per location (instance state); they end when the location is disposed. */
export class ShellService implements ShellApi {
  constructor(
    private readonly kernel: ShellKernel,
    private readonly environments: SessionEnvironments,
  ) {}

  private shells(instance: Instance): Map<string, Shell> {
    return instance.state<Map<string, Shell>>('shell.shells', () => new Map(), disposeShells)
  }

  private find(instance: Instance, id: string): Shell {
    const shell = this.shells(instance).get(id)
    if (!shell) throw new ShellNotFoundError(id)
    return shell
  }

  list(instance: Instance): ShellInfo[] {
    return [...this.shells(instance).values()].filter((shell) => shell.process).map((shell) => snapshot(shell.info))
  }

  get(instance: Instance, id: string): ShellInfo {
    return snapshot(this.find(instance, id).info)
  }

  async exited(instance: Instance, id: string): Promise<ShellInfo> {
    return snapshot(await this.find(instance, id).ended)
  }

  async output(instance: Instance, id: string, page: PageRequest = {}): Promise<ShellOutput> {
    const shell = this.find(instance, id)
    const state = { running: shell.process !== undefined, truncated: shell.process?.truncated ?? shell.truncated }
    // Removed while being read: the file is gone with it.
    return readPage(shell.info.file, page, state).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOENT' ? new ShellNotFoundError(id) : error
    })
  }

  environment(sessionID: string): Record<string, string> | undefined {
    return this.environments.get(sessionID)
  }

  async start(instance: Instance, input: ShellStartInput): Promise<ShellInfo> {
    checkCommand(input.command)
    if (input.env) checkVariables(input.env)
    const cwd = await resolveCwd(instance, input.cwd)
    const shellPath = chooseShell(this.kernel, instance)
    const session = input.sessionID ? this.environments.get(input.sessionID) : undefined
    const env = await shellEnvironment(this.kernel, instance, {
      cwd,
      sessionID: input.sessionID,
      session,
      extra: input.env,
    })
    // Counted after the awaits, so requests arriving together cannot pass the cap together.
    const shells = this.shells(instance)
    const running = [...shells.values()].filter((shell) => shell.process).length
    if (running >= MAX_RUNNING_SHELLS)
      throw new InvalidRequestError(
        `Too many running shell commands in this location (at most ${MAX_RUNNING_SHELLS}): remove one or wait for one to end`,
      )
    const id = ascendingId('sh')
    const directory = join(this.kernel.paths.data, 'shell', instance.project.id)
    mkdirSync(directory, { recursive: true, mode: 0o700 })
    const file = join(directory, `${id}.out`)
    const child = new ShellProcess({ shell: shellPath, command: input.command, cwd, env, file, timeout: input.timeout })
    const metadata = { ...input.metadata, ...(input.sessionID ? { sessionID: input.sessionID } : {}) }
    const info: ShellInfo = {
      id,
      status: 'running',
      command: input.command,
      cwd: input.cwd || instance.directory,
      shell: shellPath,
      file,
      ...(child.pid !== undefined ? { pid: child.pid } : {}),
      metadata,
      time: { started: Date.now() },
    }
    const shell: Shell = { info, process: child, truncated: false, removed: false, ended: Promise.resolve(info) }
    shells.set(id, shell)
    shell.ended = this.watch(instance, shell)
    const { pid: _pid, ...announced } = snapshot(info)
    this.kernel.publish(instance, ShellCreated, { info: announced })
    return snapshot(info)
  }

  /** Follows the process to its end: the final info, `shell.exited`, the kept commands trimmed. */
  private async watch(instance: Instance, shell: Shell): Promise<ShellInfo> {
    const child = shell.process!
    const { info } = shell
    const untrack = this.kernel.processes.track(child, { label: 'shell', group: true, instance })
    // A running command keeps its location out of LRU eviction.
    const unpin = instance.pin(`shell ${info.id}`)
    const end = await child.ended
    untrack()
    unpin()
    shell.process = undefined
    shell.truncated = child.truncated
    info.status = end.status
    if (end.exit !== undefined) info.exit = end.exit
    if (end.signal !== undefined) info.signal = end.signal
    info.time.completed = Date.now()
    if (shell.removed || instance.isDisposed) return info
    const exit = end.exit !== undefined ? { exit: end.exit } : {}
    this.kernel.publish(instance, ShellExited, { id: info.id, status: end.status, ...exit })
    this.trimKept(instance)
    return info
  }

  /** Removes the oldest ended commands beyond the cap. */
  private trimKept(instance: Instance): void {
    const ended = [...this.shells(instance).values()].filter((shell) => !shell.process)
    for (const shell of ended.slice(0, Math.max(0, ended.length - MAX_KEPT_SHELLS)))
      this.remove(instance, shell.info.id)
  }

  kill(instance: Instance, id: string): void {
    this.find(instance, id).process?.stop('killed')
  }

  remove(instance: Instance, id: string): void {
    const shells = this.shells(instance)
    const shell = shells.get(id)
    if (!shell) return
    shell.removed = true
    shells.delete(id)
    if (shell.process) {
      shell.process.stop('killed')
      // As OpenCode 2.1.2: the end is announced at once, not when the process is gone.
      this.kernel.publish(instance, ShellExited, { id, status: 'killed' })
    }
    this.kernel.publish(instance, ShellDeleted, { id })
    void shell.ended.then(() => rm(shell.info.file, { force: true })).catch(() => {})
  }

  async run(
    instance: Instance,
    input: ShellStartInput,
    options: ShellRunOptions = {},
  ): Promise<{ shell: ShellInfo; output: ShellOutput }> {
    const { signal } = options
    const started = await this.start(instance, input)
    options.onStart?.(started)
    const kill = () => this.kill(instance, started.id)
    signal?.addEventListener('abort', kill, { once: true })
    if (signal?.aborted) kill()
    try {
      const shell = await this.exited(instance, started.id)
      const output = await this.output(instance, started.id, { limit: options.outputLimit })
      return { shell, output }
    } finally {
      signal?.removeEventListener('abort', kill)
    }
  }
}

/** A disposed location: its commands killed at once, and their output files removed. */
async function disposeShells(shells: Map<string, Shell>): Promise<void> {
  const all = [...shells.values()]
  shells.clear()
  for (const shell of all) {
    shell.removed = true
    shell.process?.stop('killed', 0)
  }
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, DISPOSE_WAIT_MS)))
  await Promise.race([Promise.all(all.map((shell) => shell.ended)), deadline])
  clearTimeout(timer)
  await Promise.all(all.map((shell) => rm(shell.info.file, { force: true }).catch(() => {})))
}
