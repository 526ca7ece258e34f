// `POST /session/:sessionID/command`: a slash command's template, expanded and sent as a prompt.
import type { SessionKernel } from '../../index.js'
import { statSync } from 'node:fs'
import { basename, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { BadRequestError, NotFoundError, type Instance, type ToolContext } from '../../../../sdk/index.js'
import { triggerHook } from '../../../../sdk/hooks.js'
import { realPathInside } from '../../../../sdk/paths.js'
import { CommandExecuted } from '../../events.js'
import type { PartInput } from '../../prompt-schemas.js'
import type { MessageWithParts } from '../../schemas.js'
import type { PromptAdmission } from '../../loop/admission.js'
import type { SessionService } from '../../store/service.js'

type ModelRef = { providerID: string; modelID: string }

export interface CommandRequest {
  command: string
  arguments: string
  agent?: string
  model?: string | ModelRef
  messageID?: string
  parts?: Extract<PartInput, { type: 'file' }>[]
}

/** How long one `` !`cmd` `` of a template may run. */
const TEMPLATE_SHELL_TIMEOUT_MS = 60_000

/** `providerID/modelID` (the model id may contain slashes); 400 when it is not. */
export function parseModel(value: string | ModelRef): ModelRef {
  if (typeof value !== 'string') return value
  const slash = value.indexOf('/')
  if (slash <= 0 || slash === value.length - 1)
    throw new BadRequestError(`Invalid model "${value}": expected providerID/modelID`, 'Body')
  return { providerID: value.slice(0, slash), modelID: value.slice(slash + 1) }
}

/** Splits arguments as a shell would at spaces, keeping "quoted" and 'quoted' words whole. */
export function splitArguments(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|'([^']*)'|[^\s"']+/g)].map((match) => match[1] ?? match[2] ?? match[0])
}

/**
 * `$1`, `$2`… take the words of `args` (the highest one used takes the rest of them), `$ARGUMENTS`
 * the whole text; a template with neither gets the arguments appended.
 */
export function fillArguments(template: string, args: string): string {
  const words = splitArguments(args)
  const numbers = [...template.matchAll(/\$(\d+)/g)].map((match) => Number(match[1]))
  const last = Math.max(0, ...numbers)
  let text = template.replace(/\$(\d+)/g, (_, digits: string) => {
    const position = Number(digits)
    if (position < 1 || position > words.length) return ''
    return position === last ? words.slice(position - 1).join(' ') : words[position - 1]!
  })
  const usesArguments = template.includes('$ARGUMENTS')
  text = text.replaceAll('$ARGUMENTS', args)
  if (!numbers.length && !usesArguments && args.trim()) text += `\n\n${args}`
  return text
}

/** The `@path` references of a text (`@src/a.ts`, `@./docs`), without trailing punctuation. */
export function fileReferences(text: string): string[] {
  const found = new Set<string>()
  for (const match of text.matchAll(/(?<![\w`@])@([^\s`'"(){}[\]<>,;]+)/g)) {
    const name = match[1]!.replace(/[.:!?]+$/, '')
    if (name) found.add(name)
  }
  return [...found]
}

/**
 * Runs slash commands: finds the command (404 when unknown), expands its template (arguments,
 * `` !`cmd` `` output, `@file` references as file parts), and prompts with it, as a subtask when
 * the command or its agent says so; then publishes `command.executed`.
 */
export class SessionCommands {
  constructor(
    private readonly app: FastifyInstance,
    private readonly kernel: SessionKernel,
    private readonly sessions: SessionService,
    private readonly admission: PromptAdmission,
  ) {}

  async run(instance: Instance, sessionID: string, input: CommandRequest): Promise<MessageWithParts> {
    this.sessions.get(instance, sessionID)
    const command = await this.app.commands.get(instance, input.command)
    if (!command) throw new NotFoundError(`Command not found: ${input.command}`)
    const agentName = command.agent ?? input.agent
    const agent = agentName
      ? await this.app.agents.get(instance, agentName)
      : await this.app.agents.defaultAgent(instance)
    if (!agent) throw new BadRequestError(`Agent not found: ${agentName}`, 'Body')
    const model = command.model
      ? parseModel(command.model)
      : input.model !== undefined
        ? parseModel(input.model)
        : undefined

    const expanded = await this.expandShell(
      instance,
      sessionID,
      agent.name,
      fillArguments(command.template, input.arguments),
    )
    const text = expanded.trim()
    const subtask = (agent.mode === 'subagent' && command.subtask !== false) || command.subtask === true
    let parts: PartInput[]
    let promptAgent: string | undefined = agent.name
    if (subtask) {
      parts = [
        {
          type: 'subtask',
          agent: agent.name,
          description: command.description ?? command.name,
          command: command.name,
          prompt: text,
          ...(model ? { model } : {}),
        },
      ]
      // The subagent works in a child session; this session keeps its primary agent.
      promptAgent =
        input.agent && input.agent !== agent.name ? input.agent : agent.mode === 'subagent' ? undefined : agent.name
    } else {
      parts = [{ type: 'text', text }, ...(await this.referencedParts(instance, text)), ...(input.parts ?? [])]
    }
    parts = (
      await triggerHook(
        this.kernel,
        instance,
        'command.execute.before',
        { command: command.name, sessionID, arguments: input.arguments },
        { parts },
      )
    ).parts
    const reply = await this.admission.prompt(instance, sessionID, {
      parts,
      ...(promptAgent ? { agent: promptAgent } : {}),
      ...(model && !subtask ? { model } : {}),
      ...(input.messageID ? { messageID: input.messageID } : {}),
    })
    this.kernel.publish(instance, CommandExecuted, {
      name: command.name,
      sessionID,
      arguments: input.arguments,
      messageID: reply.info.id,
    })
    return reply
  }

  /** Replaces each `` !`cmd` `` with its output, run in the project directory with the bash tool. */
  async expandShell(instance: Instance, sessionID: string, agent: string, template: string): Promise<string> {
    const commands = [...template.matchAll(/!`([^`]+)`/g)]
    if (!commands.length) return template
    const bash = this.kernel.tools.get('bash')
    const outputs = await Promise.all(
      commands.map(async ([, command]) => {
        if (!bash) return '(shell commands in command templates need the bash tool)'
        const context: ToolContext = {
          instance,
          sessionID,
          messageID: '',
          callID: '',
          agent,
          abort: AbortSignal.timeout(TEMPLATE_SHELL_TIMEOUT_MS),
          metadata: () => {},
          // The template's author wrote the command, as a user running it would.
          ask: async () => {},
        }
        try {
          return (
            await bash.execute(
              { command: command!, description: 'command template', timeout: TEMPLATE_SHELL_TIMEOUT_MS },
              context,
            )
          ).output.trimEnd()
        } catch (error) {
          return `Error executing command: ${error instanceof Error ? error.message : String(error)}`
        }
      }),
    )
    let index = 0
    return template.replace(/!`([^`]+)`/g, () => outputs[index++]!)
  }

  /** File parts for the `@path` references that name a file or directory inside the project. */
  async referencedParts(instance: Instance, text: string): Promise<PartInput[]> {
    const parts: PartInput[] = []
    for (const name of fileReferences(text)) {
      const path = resolve(instance.worktree, name.replace(/^~(?=\/)/, this.kernel.env.HOME ?? '~'))
      if (!realPathInside(path, [instance.worktree, instance.directory])) {
        const agent = await this.app.agents.get(instance, name)
        if (agent) parts.push({ type: 'agent', name: agent.name })
        continue
      }
      const directory = statSync(path).isDirectory()
      parts.push({
        type: 'file',
        url: pathToFileURL(path).href,
        filename: basename(path) || name,
        mime: directory ? 'application/x-directory' : 'text/plain',
      })
    }
    return parts
  }
}
