// One shell command's process: in its own process group, stdout and stderr merged into one pipe,
// captured into a file up to a cap, stopped on timeout, removal or dispose.
import { spawn } from 'node:child_process'
import { createWriteStream, openSync, type WriteStream } from 'node:fs'

/** Output kept per shell; beyond it the rest is read and dropped (`truncated`). */
export const OUTPUT_CAP_BYTES = 32 * 1024 * 1024
/** After SIGTERM (timeout, removal), SIGKILL follows this much later. */
const KILL_GRACE_MS = 2000
/** What the shell left running in its group ends this long after the shell exits. */
const LEFTOVER_GRACE_MS = 50
/** setTimeout's longest delay (about 24.8 days): longer timeouts are clamped to it. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * `/bin/sh` points stderr at stdout, then execs the user's shell in its place (same pid): one
 * pipe keeps stdout and stderr in the order they were written, and the command runs unchanged.
 */
const MERGE_STDERR = 'exec "$0" -c "$1" 2>&1'

export type StopReason = 'timeout' | 'killed'

/** How a process ended: `exit` when it exited by itself, `signal` when a signal it was not sent by us ended it. */
export interface ProcessEnd {
  status: 'exited' | StopReason
  exit?: number
  signal?: string
}

export interface ShellProcessOptions {
  shell: string
  command: string
  cwd: string
  env: NodeJS.ProcessEnv
  /** The output file (created, or emptied). */
  file: string
  /** Milliseconds; 0 or undefined: none. */
  timeout?: number
}

/** Signals a process group; false when it is gone. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): boolean {
  if (pid === undefined) return false
  try {
    process.kill(-pid, signal)
    return true
  } catch {
    return false
  }
}

/** A running shell command and the capture of its output. */
export class ShellProcess {
  readonly pid: number | undefined
  /** Resolves once the process and what it left running are gone and the output file is closed. */
  readonly ended: Promise<ProcessEnd>
  /** The output cap was reached (or the file could not be written): what followed was dropped. */
  truncated = false
  private written = 0
  private exited = false
  private finished = false
  private stopReason: StopReason | undefined
  private readonly timers: NodeJS.Timeout[] = []
  private readonly out: WriteStream

  constructor(options: ShellProcessOptions) {
    // Opened before spawning: a file that cannot be created fails the request, not the capture.
    this.out = createWriteStream('', { fd: openSync(options.file, 'w', 0o600) })
    const child = this.spawn(options)
    this.pid = child.pid
    const onData = (chunk: Buffer) => this.capture(chunk, child.stdout)
    child.stdout.on('data', onData)
    child.stderr.on('data', onData)
    this.out.on('error', () => {
      // A full disk: the capture stops, the process goes on (never left blocked on a paused pipe).
      this.truncated = true
      child.stdout.resume()
    })
    const timeout = options.timeout ?? 0
    if (timeout > 0) this.timers.push(setTimeout(() => this.stop('timeout'), Math.min(timeout, MAX_TIMER_MS)))

    this.ended = new Promise((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null) => {
        if (this.finished) return
        this.finished = true
        for (const timer of this.timers) clearTimeout(timer)
        this.out.end(() => resolve(this.end(code, signal)))
      }
      child.on('exit', () => {
        this.exited = true
        setTimeout(() => killGroup(this.pid, 'SIGKILL'), LEFTOVER_GRACE_MS)
      })
      child.on('close', finish)
      child.on('error', (error) => {
        // Spawning failed (the directory vanished, no processes left): the reason is the output.
        if (child.pid !== undefined) return
        this.capture(Buffer.from(`${error.message}\n`), child.stdout)
        finish(null, null)
      })
    })
  }

  private spawn(options: ShellProcessOptions) {
    try {
      return spawn('/bin/sh', ['-c', MERGE_STDERR, options.shell, options.command], {
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      })
    } catch (error) {
      this.out.destroy()
      throw error
    }
  }

  /** Ends the command: SIGTERM to its group, SIGKILL after a grace period (at once with `graceMs` 0). */
  stop(reason: StopReason, graceMs = KILL_GRACE_MS): void {
    if (this.finished) return
    if (!this.exited) this.stopReason ??= reason
    if (graceMs === 0) {
      killGroup(this.pid, 'SIGKILL')
      return
    }
    killGroup(this.pid, 'SIGTERM')
    this.timers.push(setTimeout(() => killGroup(this.pid, 'SIGKILL'), graceMs))
  }

  private capture(chunk: Buffer, pipe: NodeJS.ReadableStream): void {
    const room = OUTPUT_CAP_BYTES - this.written
    if (chunk.length > room || this.out.errored) this.truncated = true
    if (room <= 0 || this.out.errored) return
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk
    this.written += part.length
    // Backpressure: a process writing faster than the disk waits rather than filling memory.
    if (!this.out.write(part)) {
      pipe.pause()
      this.out.once('drain', () => pipe.resume())
    }
  }

  private end(code: number | null, signal: NodeJS.Signals | null): ProcessEnd {
    if (this.stopReason) return { status: this.stopReason }
    if (code !== null && code >= 0) return { status: 'exited', exit: code }
    return signal ? { status: 'exited', signal } : { status: 'exited' }
  }
}
