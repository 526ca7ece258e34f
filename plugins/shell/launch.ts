// What a shell command starts with: its directory, the shell program and the environment.
import type { ShellKernel } from './index.js'
import { stat } from 'node:fs/promises'
import { basename, isAbsolute, resolve } from 'node:path'
import { InvalidRequestError, findExecutable, realPathInside, type Instance } from '../../sdk/index.js'
import { triggerHook } from '../../sdk/hooks.js'

/** Shells whose `-c` takes the POSIX syntax clients send; `$SHELL` is used only when it is one. */
const POSIX_SHELLS = new Set(['bash', 'zsh', 'sh', 'dash', 'ksh', 'mksh', 'ash'])
/** Linux's limit on one argument (MAX_ARG_STRLEN, with its NUL): a longer command cannot start. */
const MAX_COMMAND_BYTES = 128 * 1024 - 1

function invalid(message: string, field: string): InvalidRequestError {
  return new InvalidRequestError(message, { kind: 'Payload', field })
}

/** Refuses a command no process could be started with (NUL, too long). */
export function checkCommand(command: string): void {
  if (command.includes('\0')) throw invalid('The command contains a NUL character', 'command')
  const bytes = Buffer.byteLength(command)
  if (bytes > MAX_COMMAND_BYTES)
    throw invalid(`The command is too long: ${bytes} bytes (at most ${MAX_COMMAND_BYTES})`, 'command')
}

/**
 * The absolute directory `cwd` names: relative to the location and inside it (or its worktree),
 * or absolute; it must exist and be a directory (a precise 400, where OpenCode 2.1.2 answers 500).
 */
export async function resolveCwd(instance: Instance, cwd: string | undefined): Promise<string> {
  if (cwd === undefined || cwd === '') return instance.directory
  if (cwd.includes('\0')) throw invalid('cwd contains a NUL character', 'cwd')
  const path = resolve(instance.directory, cwd)
  const info = await stat(path).catch(() => undefined)
  if (!info) throw invalid(`Directory does not exist: ${path}`, 'cwd')
  if (!info.isDirectory()) throw invalid(`Not a directory: ${path}`, 'cwd')
  if (!isAbsolute(cwd) && !realPathInside(path, [instance.directory, instance.worktree]))
    throw invalid(`A relative cwd must stay inside the location: ${cwd}`, 'cwd')
  return path
}

/**
 * The shell program: config `shell` (as OpenCode 2.1's `PATCH /api/experimental/config`
 * writes it) when it can run, else `$SHELL` when POSIX, else bash, else /bin/sh.
 */
export function chooseShell(kernel: ShellKernel, instance: Instance): string {
  const env = kernel.env
  // The server's PATH only: a project's node_modules/.bin does not get to replace the shell.
  const scope = { directory: '/', worktree: '/', env }
  const configured = configuredShell(kernel, instance)
  const fromConfig = configured ? findExecutable(configured, scope) : undefined
  if (fromConfig) return fromConfig
  const user = env.SHELL
  if (user && isAbsolute(user) && POSIX_SHELLS.has(basename(user)) && findExecutable(user, scope)) return user
  return findExecutable('bash', scope) ?? '/bin/sh'
}

function configuredShell(kernel: ShellKernel, instance: Instance): string | undefined {
  try {
    const shell = kernel.config(instance).shell
    return typeof shell === 'string' && shell !== '' ? shell : undefined
  } catch {
    return undefined // an unreadable config: the fallbacks still give a shell
  }
}

/**
 * The command's environment: the session's (when set, it replaces the server's, as in OpenCode
 * 2.1.2), then what `shell.env` hooks add, then `extra`; `TERM` and `OPENCODE_TERMINAL` as
 * OpenCode sets them.
 */
export async function shellEnvironment(
  kernel: ShellKernel,
  instance: Instance,
  input: { cwd: string; sessionID?: string; session?: Record<string, string>; extra?: Record<string, string> },
): Promise<NodeJS.ProcessEnv> {
  const base: NodeJS.ProcessEnv = input.session ?? kernel.env
  const hooked = await triggerHook(
    kernel,
    instance,
    'shell.env',
    { cwd: input.cwd, ...(input.sessionID ? { sessionID: input.sessionID } : {}) },
    { env: {} as Record<string, string> },
  )
  return { ...base, ...hooked.env, ...input.extra, TERM: base.TERM ?? 'xterm-256color', OPENCODE_TERMINAL: '1' }
}
