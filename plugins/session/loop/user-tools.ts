// Tool calls without the model: a shell command the user typed, a command's subtasks.
import type { SessionKernel } from '../index.js'
import { ascendingId, type Instance, type ToolDefinition } from '../../../sdk/index.js'
import type { AgentInfo, PermissionRule } from '../../agent/types.js'
import type { TurnControl } from './turn-control.js'
import type { MessageWithParts, Part, SubtaskPart, ToolPart, UserMessage } from '../schemas.js'
import type { SessionService } from '../store/service.js'
import { assistantMessage, toMessageError } from './step/assistant-message.js'
import type { ToolCalls } from './step/tool-call.js'

/** Rules for what the user asked for directly (a shell command, a command's subtask): nothing is asked. */
export const USER_RULES: PermissionRule[] = [{ permission: '*', pattern: '*', action: 'allow' }]

/** One tool call the user asked for: which tool, with what input, answering which user message. */
export interface UserToolCall {
  instance: Instance
  sessionID: string
  parentID: string
  model: { providerID: string; modelID: string }
  /** The message's agent and mode (a subtask's subagent). */
  mode: string
  agent: AgentInfo
  tool: string
  definition: ToolDefinition | undefined
  input: Record<string, unknown>
  signal: AbortSignal
  finish?: string
}

/** Tool calls the user asked for, each in an assistant message of its own. */
export class UserTools {
  constructor(
    private readonly kernel: SessionKernel,
    private readonly sessions: SessionService,
    private readonly tools: ToolCalls,
  ) {}

  /** Runs a subtask part with the `task` tool, in an assistant message of its own. */
  async runSubtask(
    instance: Instance,
    sessionID: string,
    user: MessageWithParts & { info: UserMessage },
    subtask: SubtaskPart,
    agent: AgentInfo,
    control: TurnControl,
  ): Promise<MessageWithParts> {
    const { signal } = control
    control.setStatus({ type: 'busy' })
    const input = {
      description: subtask.description,
      prompt: subtask.prompt,
      subagent_type: subtask.agent,
      ...(subtask.command ? { command: subtask.command } : {}),
    }
    const definition = (await this.kernel.tools.list(instance)).find((tool) => tool.id === 'task')
    return this.runUserTool({
      instance,
      sessionID,
      parentID: user.info.id,
      model: subtask.model ?? user.info.model,
      mode: subtask.agent,
      agent,
      tool: 'task',
      definition,
      input,
      signal,
      finish: 'tool-calls',
    })
  }

  /**
   * A tool call the user asked for (a shell command, a command's subtask), without the model: one
   * assistant message holding the tool part, which streams while the tool runs. No permission is
   * asked; a missing tool is an error part.
   */
  async runUserTool(call: UserToolCall): Promise<MessageWithParts> {
    const { instance, sessionID, input, signal } = call
    const info = assistantMessage(instance, sessionID, call.parentID, call.model, call.mode)
    this.sessions.saveMessage(instance, info)
    const part: ToolPart = {
      id: ascendingId('prt'),
      sessionID,
      messageID: info.id,
      type: 'tool',
      callID: ascendingId('call'),
      tool: call.tool,
      state: { status: 'pending', input: {}, raw: '' },
    }
    this.sessions.savePart(instance, part)
    const updatePart = (changed: Part, persist: 'now' | 'later' = 'now') =>
      persist === 'now' ? this.sessions.savePart(instance, changed) : this.sessions.publishPart(instance, changed)
    if (call.definition) {
      await this.tools
        .runTool({
          instance,
          sessionID,
          info,
          agent: call.agent,
          definition: call.definition,
          part,
          input,
          signal,
          rules: USER_RULES,
          control: { stop: false },
          updatePart,
        })
        .catch(() => {})
    } else {
      const now = Date.now()
      part.state = {
        status: 'error',
        input,
        error: `The ${call.tool} tool is not available`,
        time: { start: now, end: now },
      }
      updatePart(part)
    }
    info.time.completed = Date.now()
    if (call.finish) info.finish = call.finish
    if (signal.aborted) info.error = toMessageError(undefined, info.providerID, true)
    this.sessions.saveMessage(instance, info)
    return { info, parts: [part] }
  }
}
