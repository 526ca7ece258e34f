// Running one bash tool command: its process group, output (in memory, then spilled to a file)
// streamed as metadata, and stopping it on timeout or abort.
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { createWriteStream, type WriteStream } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import type { ToolContext } from '../../sdk/index.js'
import type { ToolEnv } from './env.js'

/** Output kept in memory; beyond it everything goes to a file. */
const MEMORY_LIMIT = 4 * 1024 * 1024
export const PREVIEW_BYTES = 30 * 1024
const METADATA_INTERVAL_MS = 100
const KILL_GRACE_MS = 2000

export function tail(text: string, bytes: number): string {
  return text.length > bytes ? text.slice(text.length - bytes) : text
}

/** Kills a process group; `ESRCH` (already gone) is fine. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal)
  } catch {
    // the group is gone
  }
}

export interface CommandInput {
  shell: string
  command: string
  cwd: string
  childEnv: NodeJS.ProcessEnv
  timeout: number
  /** The tool call's description, its title while it runs. */
  description: string
}

export interface CommandResult {
  /** All of it, or its head and tail once it outgrew memory (then `spillPath` has all of it). */
  output: string
  spillPath: string | undefined
  exit: number | null
  timedOut: boolean
  aborted: boolean
}

/** Output of the running command: in memory up to a limit, then all of it in a file too. */
class OutputBuffer {
  text = ''
  spillPath: string | undefined
  private spill: WriteStream | undefined

  constructor(private readonly outputDir: string) {}

  append(text: string): void {
    if (this.spill) this.spill.write(text)
    this.text += text
    if (this.text.length > MEMORY_LIMIT) {
      if (!this.spill) {
        this.spillPath = join(this.outputDir, `bash_${Date.now()}_${randomBytes(4).toString('hex')}.txt`)
        this.spill = createWriteStream(this.spillPath, { mode: 0o600 })
        this.spill.write(this.text)
      }
      // Memory keeps the head (for the model) and drops the middle; the file has it all.
      this.text = this.text.slice(0, MEMORY_LIMIT / 2) + tail(this.text, MEMORY_LIMIT / 4)
    }
  }

  async close(): Promise<void> {
    const spill = this.spill
    if (spill) await new Promise<void>((done) => spill.end(done))
  }
}

/** Runs `publish` at most once per `interval`, the last call always ending in one. */
function throttle(publish: () => void, interval: number): { schedule(): void; cancel(): void } {
  let lastUpdate = 0
  let pending: NodeJS.Timeout | undefined
  const run = () => {
    pending = undefined
    lastUpdate = Date.now()
    publish()
  }
  return {
    schedule: () => {
      if (!pending) pending = setTimeout(run, Math.max(0, interval - (Date.now() - lastUpdate)))
    },
    cancel: () => clearTimeout(pending),
  }
}

type Child = ChildProcessByStdio<null, Readable, Readable>

/** Ends the process group on timeout or abort: SIGTERM, then SIGKILL after a grace period. */
function stopOnTimeoutOrAbort(child: Child, timeout: number, signal: AbortSignal) {
  const state = { timedOut: false, aborted: false, dispose: () => {} }
  let escalation: NodeJS.Timeout | undefined
  const stop = () => {
    if (child.pid === undefined) return
    killGroup(child.pid, 'SIGTERM')
    escalation ??= setTimeout(() => killGroup(child.pid!, 'SIGKILL'), KILL_GRACE_MS)
  }
  const timer = setTimeout(() => {
    state.timedOut = true
    stop()
  }, timeout)
  const onAbort = () => {
    state.aborted = true
    stop()
  }
  signal.addEventListener('abort', onAbort, { once: true })
  if (signal.aborted) onAbort()
  state.dispose = () => {
    clearTimeout(timer)
    clearTimeout(escalation)
    signal.removeEventListener('abort', onAbort)
  }
  return state
}

/** Runs the command in its own process group until it and what it left running have ended. */
export async function runCommand(env: ToolEnv, context: ToolContext, input: CommandInput): Promise<CommandResult> {
  const { shell, command, cwd, childEnv, timeout, description } = input
  // From here on no await until the exit listener is attached: a quick command could end unseen.
  const child = spawn(shell, ['-c', command], { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  const untrack = env.kernel.processes.track(child, { label: 'bash', group: true, instance: context.instance })
  const buffer = new OutputBuffer(env.outputDir)
  const progress = throttle(() => {
    context.metadata({ title: description, metadata: { output: tail(buffer.text, PREVIEW_BYTES), description } })
  }, METADATA_INTERVAL_MS)
  const onData = (chunk: Buffer) => {
    buffer.append(chunk.toString('utf8'))
    progress.schedule()
  }
  child.stdout.on('data', onData)
  child.stderr.on('data', onData)
  const stopper = stopOnTimeoutOrAbort(child, timeout, context.abort)

  const exit = await new Promise<number | null>((resolvePromise) => {
    child.on('error', (error) => {
      buffer.text += `\n${error.message}`
      resolvePromise(null)
    })
    // When the shell exits, whatever it left running in its group is ended, so the pipes close.
    child.on('exit', () => setTimeout(() => child.pid !== undefined && killGroup(child.pid, 'SIGKILL'), 50))
    child.on('close', (code) => resolvePromise(code))
  })
  untrack()
  stopper.dispose()
  progress.cancel()
  child.stdout.destroy()
  child.stderr.destroy()
  await buffer.close()
  return {
    output: buffer.text,
    spillPath: buffer.spillPath,
    exit,
    timedOut: stopper.timedOut,
    aborted: stopper.aborted,
  }
}
