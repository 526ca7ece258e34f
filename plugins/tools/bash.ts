import { mkdir } from 'node:fs/promises'
import { isAbsolute, resolve } from 'node:path'
import { Type } from 'typebox'
import { defineTool, type Instance, type ToolContext } from '../../sdk/index.js'
import { findExecutable } from '../../sdk/executable.js'
import type { ToolEnv } from './env.js'
import { triggerHook } from '../../sdk/hooks.js'
import { PREVIEW_BYTES, runCommand, tail, type CommandResult } from './bash-process.js'
import { contains, locatePath } from './paths.js'
import { alwaysPattern, PATH_COMMANDS, splitCommands, words } from './shell.js'
import { MAX_OUTPUT_BYTES, MAX_OUTPUT_LINES, truncateOutput } from './truncate.js'

const DEFAULT_TIMEOUT_MS = 2 * 60_000
const MAX_TIMEOUT_MS = 10 * 60_000

/** Directories outside the project that the commands' path arguments touch (`cd` to one, or a file in one). */
function outsideDirectories(commands: string[], cwd: string, instance: Instance, home: string): Set<string> {
  const outside = new Set<string>()
  for (const command of commands) {
    const [program, ...rest] = words(command)
    if (!program || !PATH_COMMANDS.has(program)) continue
    for (const arg of rest) {
      if (arg.startsWith('-') || arg.includes('$') || arg.includes('*')) continue
      const path = isAbsolute(arg) ? arg : resolve(cwd, arg.replace(/^~(?=$|\/)/, home))
      if (!contains(instance.worktree, path) && !contains(instance.directory, path))
        outside.add(program === 'cd' ? path : resolve(path, '..'))
    }
  }
  return outside
}

/** Paths a command touches outside the project ask `external_directory` first, then the command asks `bash`. */
async function askPermissions(context: ToolContext, command: string, cwd: string, home: string): Promise<void> {
  const commands = splitCommands(command)
  for (const dir of outsideDirectories(commands, cwd, context.instance, home)) {
    await context.ask({
      permission: 'external_directory',
      patterns: [dir + '/*'],
      always: [dir + '/*'],
      metadata: { command, parentDir: dir },
    })
  }
  await context.ask({
    permission: 'bash',
    patterns: commands.length ? commands : [command],
    always: [...new Set(commands.map(alwaysPattern))],
    metadata: { command },
  })
}

/** The server's environment plus what `shell.env` hooks add. */
async function shellEnvironment(env: ToolEnv, context: ToolContext, cwd: string): Promise<NodeJS.ProcessEnv> {
  const hooked = await triggerHook(
    env.kernel,
    context.instance,
    'shell.env',
    { cwd, sessionID: context.sessionID, callID: context.callID },
    { env: {} as Record<string, string> },
  )
  return { ...env.kernel.env, ...hooked.env }
}

/** What the model reads: the output (cut when long, the full text in a file) and why it stopped early. */
async function modelOutput(
  outputDir: string,
  result: CommandResult,
  timeout: number,
): Promise<{ text: string; truncated: boolean; outputPath: string | undefined }> {
  const { output, spillPath } = result
  const notes: string[] = []
  if (result.timedOut) notes.push(`bash tool terminated command after exceeding timeout ${timeout} ms`)
  if (result.aborted) notes.push('User aborted the command')
  const cut = spillPath
    ? {
        content: `${output.slice(0, MAX_OUTPUT_BYTES)}\n\n...output truncated...\n\nThe full output was saved to ${spillPath}. Use the read tool with offset and limit to view it, or grep to search it.`,
        truncated: true,
        outputPath: spillPath,
      }
    : await truncateOutput(outputDir, output, { maxLines: MAX_OUTPUT_LINES, maxBytes: MAX_OUTPUT_BYTES })
  let text = cut.content
  if (notes.length) text += `\n\n<bash_metadata>\n${notes.join('\n')}\n</bash_metadata>`
  return { text, truncated: cut.truncated, outputPath: cut.outputPath }
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
      await askPermissions(context, args.command, cwd, env.kernel.env.HOME ?? '~')

      const timeout = Math.min(args.timeout ?? DEFAULT_TIMEOUT_MS, MAX_TIMEOUT_MS)
      const scope = { directory: cwd, worktree: instance.worktree, env: env.kernel.env }
      const shell = findExecutable('bash', scope) ?? findExecutable('sh', scope) ?? '/bin/sh'
      await mkdir(env.outputDir, { recursive: true, mode: 0o700 }).catch(() => {})
      const childEnv = await shellEnvironment(env, context, cwd)
      const result = await runCommand(env, context, {
        shell,
        command: args.command,
        cwd,
        childEnv,
        timeout,
        description: args.description,
      })
      const { text, truncated, outputPath } = await modelOutput(env.outputDir, result, timeout)
      return {
        title: args.description,
        output: text,
        metadata: {
          output: tail(result.output, PREVIEW_BYTES),
          exit: result.exit,
          description: args.description,
          truncated,
          ...(outputPath ? { outputPath } : {}),
        },
      }
    },
  })
