import { spawn } from 'node:child_process'
import { createWriteStream, type WriteStream } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { isAbsolute, join, resolve } from 'node:path'
import { Type } from 'typebox'
import { defineTool } from '../../sdk/index.js'
import { findExecutable } from '../../sdk/executable.js'
import type { ToolEnv } from './env.js'
import { triggerHook } from '../../sdk/hooks.js'
import { contains, locatePath } from './paths.js'
import { alwaysPattern, PATH_COMMANDS, splitCommands, words } from './shell.js'
import { MAX_OUTPUT_BYTES, MAX_OUTPUT_LINES, truncateOutput } from './truncate.js'

const DEFAULT_TIMEOUT_MS = 2 * 60_000
const MAX_TIMEOUT_MS = 10 * 60_000
/** Output kept in memory; beyond it everything goes to a file. */
const MEMORY_LIMIT = 4 * 1024 * 1024
const PREVIEW_BYTES = 30 * 1024
const METADATA_INTERVAL_MS = 100
const KILL_GRACE_MS = 2000

function tail(text: string, bytes: number): string {
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

export const bashTool = (env: ToolEnv) =>
  defineTool({
    id: 'bash',
    description:
      'Runs a bash command in the project directory (or workdir) and returns its output (stdout and stderr together). ' +
      `Times out after timeout ms (default ${DEFAULT_TIMEOUT_MS / 1000} s, at most ${MAX_TIMEOUT_MS / 60_000} min). Long output is cut, and the full text saved to a file you can read. ` +
      'Use workdir instead of "cd dir &&". Prefer the read, edit, glob and grep tools for files.',
    parameters: Type.Object({
      command: Type.String({ minLength: 1, description: 'The command to execute' }),
      timeout: Type.Optional(Type.Integer({ minimum: 1, description: 'Optional timeout in milliseconds' })),
      workdir: Type.Optional(
        Type.String({ description: 'The working directory to run the command in (defaults to the project directory)' }),
      ),
      description: Type.String({ description: 'Clear, concise description of what this command does in 5-10 words' }),
    }),
    async execute(args, context) {
      const { instance } = context
      const cwd = (await locatePath(context, args.workdir ?? instance.directory, { kind: 'directory' })).path
      const commands = splitCommands(args.command)

      // Paths a command touches outside the project ask `external_directory` first.
      const outside = new Set<string>()
      for (const command of commands) {
        const [program, ...rest] = words(command)
        if (!program || !PATH_COMMANDS.has(program)) continue
        for (const arg of rest) {
          if (arg.startsWith('-') || arg.includes('$') || arg.includes('*')) continue
          const path = isAbsolute(arg) ? arg : resolve(cwd, arg.replace(/^~(?=$|\/)/, env.kernel.env.HOME ?? '~'))
          if (!contains(instance.worktree, path) && !contains(instance.directory, path))
            outside.add(program === 'cd' ? path : resolve(path, '..'))
        }
      }
      for (const dir of outside) {
        await context.ask({
          permission: 'external_directory',
          patterns: [dir + '/*'],
          always: [dir + '/*'],
          metadata: { command: args.command, parentDir: dir },
        })
      }
      await context.ask({
        permission: 'bash',
        patterns: commands.length ? commands : [args.command],
        always: [...new Set(commands.map(alwaysPattern))],
        metadata: { command: args.command },
      })

      const timeout = Math.min(args.timeout ?? DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS)
      const scope = { directory: cwd, worktree: instance.worktree, env: env.kernel.env }
      const shell = findExecutable('bash', scope) ?? findExecutable('sh', scope) ?? '/bin/sh'
      await mkdir(env.outputDir, { recursive: true, mode: 0o700 }).catch(() => {})
      const childEnv = {
        ...env.kernel.env,
        ...(
          await triggerHook(
            env.kernel,
            instance,
            'shell.env',
            { cwd, sessionID: context.sessionID, callID: context.callID },
            { env: {} as Record<string, string> },
          )
        ).env,
      }
      // From here on no await until the exit listener is attached: a quick command could end unseen.
      const child = spawn(shell, ['-c', args.command], {
        cwd,
        env: childEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      })
      const untrack = env.kernel.processes.track(child, { label: 'bash', group: true, instance })

      let output = ''
      let spill: WriteStream | undefined
      let spillPath: string | undefined
      let lastUpdate = 0
      let pending: NodeJS.Timeout | undefined
      const publish = () => {
        pending = undefined
        lastUpdate = Date.now()
        context.metadata({
          title: args.description,
          metadata: { output: tail(output, PREVIEW_BYTES), description: args.description },
        })
      }
      const onData = (chunk: Buffer) => {
        const text = chunk.toString('utf8')
        if (spill) spill.write(text)
        output += text
        if (output.length > MEMORY_LIMIT) {
          if (!spill) {
            spillPath = join(env.outputDir, `bash_${Date.now()}_${randomBytes(4).toString('hex')}.txt`)
            spill = createWriteStream(spillPath, { mode: 0o600 })
            spill.write(output)
          }
          // Memory keeps the head (for the model) and drops the middle; the file has it all.
          output = output.slice(0, MEMORY_LIMIT / 2) + tail(output, MEMORY_LIMIT / 4)
        }
        if (!pending) pending = setTimeout(publish, Math.max(0, METADATA_INTERVAL_MS - (Date.now() - lastUpdate)))
      }
      child.stdout.on('data', onData)
      child.stderr.on('data', onData)

      let timedOut = false
      let aborted = false
      let escalation: NodeJS.Timeout | undefined
      const stop = () => {
        if (child.pid === undefined) return
        killGroup(child.pid, 'SIGTERM')
        escalation ??= setTimeout(() => killGroup(child.pid!, 'SIGKILL'), KILL_GRACE_MS)
      }
      const timer = setTimeout(() => {
        timedOut = true
        stop()
      }, timeout)
      const onAbort = () => {
        aborted = true
        stop()
      }
      context.abort.addEventListener('abort', onAbort, { once: true })
      if (context.abort.aborted) onAbort()

      const exit = await new Promise<number | null>((resolvePromise) => {
        child.on('error', (error) => {
          output += `\n${error.message}`
          resolvePromise(null)
        })
        // When the shell exits, whatever it left running in its group is ended, so the pipes close.
        child.on('exit', () => setTimeout(() => child.pid !== undefined && killGroup(child.pid, 'SIGKILL'), 50))
        child.on('close', (code) => resolvePromise(code))
      })
      untrack()
      clearTimeout(timer)
      clearTimeout(escalation)
      clearTimeout(pending)
      context.abort.removeEventListener('abort', onAbort)
      child.stdout.destroy()
      child.stderr.destroy()
      if (spill) await new Promise<void>((done) => spill!.end(done))

      const notes: string[] = []
      if (timedOut) notes.push(`bash tool terminated command after exceeding timeout ${timeout} ms`)
      if (aborted) notes.push('User aborted the command')
      let text = output
      let truncated = false
      let outputPath = spillPath
      if (spillPath) {
        truncated = true
        const head = output.slice(0, MAX_OUTPUT_BYTES)
        text = `${head}\n\n...output truncated...\n\nThe full output was saved to ${spillPath}. Use the read tool with offset and limit to view it, or grep to search it.`
      } else {
        const cut = await truncateOutput(env.outputDir, output, {
          maxLines: MAX_OUTPUT_LINES,
          maxBytes: MAX_OUTPUT_BYTES,
        })
        text = cut.content
        truncated = cut.truncated
        outputPath = cut.outputPath
      }
      if (notes.length) text += `\n\n<bash_metadata>\n${notes.join('\n')}\n</bash_metadata>`
      return {
        title: args.description,
        output: text,
        metadata: {
          output: tail(output, PREVIEW_BYTES),
          exit,
          description: args.description,
          truncated,
          ...(outputPath ? { outputPath } : {}),
        },
      }
    },
  })
