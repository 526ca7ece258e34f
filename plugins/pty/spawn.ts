import type { PtyKernel } from './index.js'
import { existsSync, statSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import type { IPty } from 'node-pty'
import { BadRequestError, type Instance } from '../../sdk/index.js'
import { triggerHook } from '../../sdk/hooks.js'
import { findExecutable } from '../../sdk/executable.js'
import { realPathInside } from '../../sdk/paths.js'

// What starting a terminal's process needs, shared by the terminals of `/pty` and `/api/pty` and
// by the persistent terminals of sessions.

let nodePty: typeof import('node-pty') | undefined
/** node-pty, loaded on the first terminal (a native module: start-up does not pay for it). */
export async function loadPty(): Promise<typeof import('node-pty')> {
  return (nodePty ??= await import('node-pty'))
}

/** `$SHELL` when it is an absolute path to an executable, else bash, else sh. */
export function preferredShell(env: NodeJS.ProcessEnv, instance: Instance): string {
  const scope = { directory: instance.directory, worktree: instance.worktree, env }
  if (env.SHELL && isAbsolute(env.SHELL) && findExecutable(env.SHELL, scope)) return env.SHELL
  return findExecutable('bash', scope) ?? findExecutable('sh', scope) ?? '/bin/sh'
}

/**
 * `requested` resolved against `base`: an existing directory inside the instance's project
 * (symlinks resolved), else a 400 naming it.
 */
export function terminalDirectory(instance: Instance, base: string, requested: string | undefined): string {
  const cwd = resolve(base, requested ?? '.')
  if (!existsSync(cwd) || !statSync(cwd).isDirectory()) throw new BadRequestError(`Not a directory: ${cwd}`, 'Body')
  if (!realPathInside(cwd, [instance.worktree, instance.directory]))
    throw new BadRequestError(`The terminal's directory must be inside the project: ${cwd}`, 'Body')
  return cwd
}

/** The program `requested` names, found as a shell would from `cwd` (and the project's node_modules/.bin); else a 400. */
export function terminalCommand(env: NodeJS.ProcessEnv, instance: Instance, cwd: string, requested: string): string {
  const command = findExecutable(requested, { directory: cwd, worktree: instance.worktree, env })
  if (!command) throw new BadRequestError(`Command not found: ${requested}`, 'Body')
  return command
}

/** The server's environment, plus what `shell.env` hooks add, plus `extra`, plus the terminal's own variables. */
export async function terminalEnv(
  kernel: PtyKernel,
  instance: Instance,
  cwd: string,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  const hooked = (await triggerHook(kernel, instance, 'shell.env', { cwd }, { env: {} as Record<string, string> })).env
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(kernel.env)) if (value !== undefined) env[key] = value
  return { ...env, ...hooked, ...extra, TERM: 'xterm-256color', OPENCODE_TERMINAL: '1' }
}

/** How long a terminal's process has to end after a hangup before it is killed. */
const HANGUP_GRACE_MS = 2000

/**
 * Hangs up on a terminal's process (a shell then ends its jobs); kills its process group if it
 * still runs after a grace, since a shell still starting up can miss the hangup and a program may
 * ignore it. `running` says whether it has not exited yet (so a reused pid is never signalled).
 */
export function hangUp(child: IPty, running: () => boolean): void {
  child.kill('SIGHUP')
  setTimeout(() => {
    if (!running()) return
    try {
      // A pty's child leads its own process group.
      process.kill(-child.pid, 'SIGKILL')
    } catch {
      // gone meanwhile
    }
  }, HANGUP_GRACE_MS).unref()
}
