// Runs the formatters of an edited file (the tools' post-edit hook).
import type { FormatterKernel } from './index.js'
import { spawn } from 'node:child_process'
import { extname } from 'node:path'
import { type Instance } from '../../sdk/index.js'
import { findExecutable } from '../../sdk/executable.js'
import { configuredFormatters } from './service.js'

/** One formatter run may take this long. */
const FORMAT_TIMEOUT_MS = 10_000

/** Runs `command` (program resolved) to its end; true when it exited 0. */
function run(
  kernel: FormatterKernel,
  instance: Instance,
  program: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; signal: AbortSignal },
): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(program, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: 'ignore',
      signal: options.signal,
      timeout: FORMAT_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      detached: true,
    })
    const untrack = kernel.processes.track(child, { label: 'formatter', group: true, instance })
    child.once('error', () => {
      untrack()
      resolve(false)
    })
    child.once('close', (code) => {
      untrack()
      resolve(code === 0)
    })
  })
}

/**
 * Formats `file` with every enabled, installed formatter for its extension, in order (`$FILE` in
 * a command is the file). Answers a line for the model naming those that ran, or nothing.
 */
export async function formatFile(
  kernel: FormatterKernel,
  instance: Instance,
  file: string,
  signal: AbortSignal,
): Promise<string | void> {
  const extension = extname(file)
  if (!extension) return
  const scope = { directory: instance.directory, worktree: instance.worktree, env: kernel.env }
  const formatted: string[] = []
  for (const formatter of configuredFormatters(kernel.config(instance))) {
    if (formatter.disabled || !formatter.extensions.includes(extension) || !formatter.command[0]) continue
    const program = findExecutable(formatter.command[0], scope)
    if (!program) continue
    const args = formatter.command.slice(1).map((part) => part.replaceAll('$FILE', file))
    const ok = await run(kernel, instance, program, args, {
      cwd: instance.directory,
      env: { ...kernel.env, ...formatter.environment },
      signal,
    })
    if (ok) formatted.push(formatter.name)
    else kernel.log.warn({ formatter: formatter.name, file }, 'formatter failed')
  }
  if (formatted.length) return `The file was formatted with ${formatted.join(', ')}; read it again before editing it.`
}
