// A Node stand-in for Bun's `$` (the `$` of `PluginInput`): a tagged template whose
// interpolations are escaped arguments, run by /bin/sh in its own process group.
import { spawn, type ChildProcess } from 'node:child_process'

/** What a finished command gives, as Bun's ShellOutput. */
export interface ShellOutput {
  stdout: Buffer
  stderr: Buffer
  exitCode: number
  text(encoding?: BufferEncoding): string
  json(): unknown
  arrayBuffer(): ArrayBuffer
  blob(): Blob
}

/** Rejection of a command that exited non-zero (unless `.nothrow()`), as Bun's ShellError. */
export class ShellError extends Error implements ShellOutput {
  constructor(
    readonly stdout: Buffer,
    readonly stderr: Buffer,
    readonly exitCode: number,
  ) {
    const detail = stderr.toString('utf8').trim().slice(0, 2000)
    super(`Failed with exit code ${exitCode}${detail ? `: ${detail}` : ''}`)
    this.name = 'ShellError'
  }
  text(encoding: BufferEncoding = 'utf8'): string {
    return this.stdout.toString(encoding)
  }
  json(): unknown {
    return JSON.parse(this.text())
  }
  arrayBuffer(): ArrayBuffer {
    return toArrayBuffer(this.stdout)
  }
  blob(): Blob {
    return new Blob([new Uint8Array(this.stdout)])
  }
}

function toArrayBuffer(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer
}

function output(stdout: Buffer, stderr: Buffer, exitCode: number): ShellOutput {
  return {
    stdout,
    stderr,
    exitCode,
    text: (encoding: BufferEncoding = 'utf8') => stdout.toString(encoding),
    json: () => JSON.parse(stdout.toString('utf8')),
    arrayBuffer: () => toArrayBuffer(stdout),
    blob: () => new Blob([new Uint8Array(stdout)]),
  }
}

/** One shell word, quoted so the shell reads it literally. */
export function escape(value: string): string {
  if (value !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value
  return `'${value.replace(/'/g, `'\\''`)}'`
}

function interpolate(value: unknown): string {
  if (Array.isArray(value)) return value.map(interpolate).join(' ')
  if (value && typeof value === 'object' && 'raw' in value && typeof (value as { raw: unknown }).raw === 'string')
    return (value as { raw: string }).raw
  if (Buffer.isBuffer(value)) return escape(value.toString('utf8'))
  if (value && typeof value === 'object' && 'stdout' in value && Buffer.isBuffer((value as ShellOutput).stdout))
    return escape((value as ShellOutput).stdout.toString('utf8').trimEnd())
  return escape(String(value))
}

/** Simple `{a,b}` expansion (one level, as most plugins use it). */
function braces(pattern: string): string[] {
  const match = /^(.*?)\{([^{}]*)\}(.*)$/.exec(pattern)
  if (!match) return [pattern]
  return match[2]!.split(',').flatMap((item) => braces(`${match[1]}${item}${match[3]}`))
}

interface ShellDefaults {
  cwd: string
  env: NodeJS.ProcessEnv
  throws: boolean
}

/** Running children, so the instance can kill their groups when it is disposed. */
export type ChildSet = Set<ChildProcess>

const MAX_OUTPUT = 64 * 1024 * 1024

class ShellPromise extends Promise<ShellOutput> {
  static override get [Symbol.species]() {
    return Promise
  }
}

/** Runs `command` with /bin/sh in its own process group, tracked in `children` while it runs. */
function runCommand(command: string, options: ShellDefaults, children: ChildSet): Promise<ShellOutput> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.add(child)
    const out: Buffer[] = []
    const err: Buffer[] = []
    let size = 0
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_OUTPUT) into.push(chunk)
    }
    child.stdout!.on('data', collect(out))
    child.stderr!.on('data', collect(err))
    child.on('error', (error) => {
      children.delete(child)
      reject(error)
    })
    child.on('close', (code, signal) => {
      children.delete(child)
      const exitCode = code ?? (signal ? 128 : 1)
      const stdout = Buffer.concat(out)
      const stderr = Buffer.concat(err)
      if (exitCode !== 0 && options.throws) reject(new ShellError(stdout, stderr, exitCode))
      else resolve(output(stdout, stderr, exitCode))
    })
  })
}

type ShellCommand = ShellPromise & Record<string, unknown>

/** The settings (`.cwd()`, `.env()`, `.nothrow()` ...) and readers (`.text()`, `.lines()` ...) of one command. */
function commandMethods(promise: ShellCommand, options: ShellDefaults): Record<string, unknown> {
  return {
    cwd(dir: string) {
      options.cwd = dir
      return promise
    },
    env(env: Record<string, string> | undefined) {
      options.env = { ...(env ?? {}) }
      return promise
    },
    quiet() {
      return promise
    },
    nothrow() {
      options.throws = false
      return promise
    },
    throws(value: boolean) {
      options.throws = value
      return promise
    },
    text: (encoding?: BufferEncoding) => promise.then((result) => result.text(encoding)),
    json: () => promise.then((result) => result.json()),
    arrayBuffer: () => promise.then((result) => result.arrayBuffer()),
    blob: () => promise.then((result) => result.blob()),
    lines: () =>
      (async function* () {
        const text = (await promise).text()
        const lines = text.split('\n')
        if (lines.at(-1) === '') lines.pop()
        yield* lines
      })(),
  }
}

/** One command of a tagged template, as Bun's ShellPromise. */
function shellCommand(command: string, base: ShellDefaults, children: ChildSet): ShellCommand {
  const options: ShellDefaults = { ...base, env: { ...base.env } }
  // Options are set synchronously after the template (`.cwd()`, `.nothrow()`); the command starts on the next tick.
  let resolveOuter!: (value: ShellOutput) => void
  let rejectOuter!: (error: unknown) => void
  const promise = new ShellPromise((res, rej) => {
    resolveOuter = res
    rejectOuter = rej
  }) as ShellCommand
  queueMicrotask(() => runCommand(command, options, children).then(resolveOuter, rejectOuter))
  Object.assign(promise, commandMethods(promise, options))
  // An unawaited command that fails must not crash the server.
  promise.catch(() => {})
  return promise
}

/** A `$` bound to `base`; its `.cwd()` without a directory goes back to `defaults`. */
function boundShell(base: ShellDefaults, defaults: ShellDefaults, children: ChildSet): unknown {
  const $ = (strings: TemplateStringsArray, ...values: unknown[]) => {
    let command = strings[0] ?? ''
    values.forEach((value, i) => (command += interpolate(value) + (strings[i + 1] ?? '')))
    return shellCommand(command, base, children)
  }
  return Object.assign($, {
    braces,
    escape,
    env: (env?: Record<string, string | undefined>) =>
      boundShell({ ...base, env: { ...(env ?? {}) } as NodeJS.ProcessEnv }, defaults, children),
    cwd: (dir?: string) => boundShell({ ...base, cwd: dir ?? defaults.cwd }, defaults, children),
    nothrow: () => boundShell({ ...base, throws: false }, defaults, children),
    throws: (value: boolean) => boundShell({ ...base, throws: value }, defaults, children),
  })
}

/** Builds a `$` bound to `defaults`; children are tracked in `children`. */
export function createShell(defaults: ShellDefaults, children: ChildSet): unknown {
  return boundShell(defaults, defaults, children)
}

/** Kills every running child's process group. */
export function killChildren(children: ChildSet): void {
  for (const child of children) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL')
    } catch {
      // Already gone.
    }
  }
  children.clear()
}
