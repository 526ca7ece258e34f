// Tool execution: the tools a step offers the model, and one tool call's run, with its part's
// states and the permissions it asks.
import type { SessionKernel } from '../../index.js'
import type { ToolSet } from 'ai'
import type { FastifyInstance } from 'fastify'
import { isDeepStrictEqual } from 'node:util'
import {
  NamedError,
  ascendingId,
  checkToolArguments,
  isNamedError,
  type Instance,
  type PermissionAsk,
  type ToolContext,
  type ToolDefinition,
  type ToolResult,
} from '../../../../sdk/index.js'
import { evaluatePermission as evaluate } from '../../../../sdk/permission.js'
import { triggerHook } from '../../../../sdk/hooks.js'
import type { AgentInfo, PermissionRule } from '../../../agent/types.js'
import { PermissionDeniedError } from '../../errors.js'
import { ToolProgress } from '../../http/v21/events.js'
import type { AssistantMessage, ToolPart } from '../../schemas.js'
import type { SessionService } from '../../store/service.js'
import type { PermissionGate } from '../../types.js'
import { errorMessage, loadAi } from './ai-sdk.js'
import { shownTool } from './plugin-hooks.js'
import type { StepParts, UpdatePart } from './parts.js'

/** Which permission gates a tool: edits share `edit`, everything else its own id. */
export function toolPermission(toolID: string): string {
  return ['write', 'edit', 'apply_patch', 'multiedit', 'patch'].includes(toolID) ? 'edit' : toolID
}

/** What a step offers the model: for which step, agent and prompt, and what runs around each call. */
export interface ToolSetRequest {
  /** The step whose message the calls belong to: their parts are added to it. */
  step: StepParts
  agent: AgentInfo
  /** The prompt's `tools` switches: a tool set to false is left out. */
  userTools: Record<string, boolean> | undefined
  signal: AbortSignal
  /** Set when a call ends the turn (structured output, a rejected permission that says stop). */
  control: { stop: boolean }
  /** Awaited before each call runs (the step's snapshot). */
  beforeTool: () => Promise<unknown>
  /** Tools of this step only (structured output), offered whatever the rules say. */
  extra?: ToolDefinition[]
}

/** One tool call to run: whose, which tool with what input, under which rules. */
export interface ToolRun {
  instance: Instance
  sessionID: string
  info: AssistantMessage
  agent: AgentInfo
  definition: ToolDefinition
  part: ToolPart
  input: unknown
  signal: AbortSignal
  rules: PermissionRule[]
  control: { stop: boolean }
  updatePart: UpdatePart
}

/** Runs the model's tool calls (and, for user-run tools, the user's). */
export class ToolCalls {
  constructor(
    private readonly app: FastifyInstance,
    private readonly kernel: SessionKernel,
    private readonly sessions: SessionService,
  ) {}

  /** The tools this agent may use in this step, wrapped so their parts and permissions are tracked. */
  async toolSet(request: ToolSetRequest): Promise<ToolSet> {
    const { step, agent, userTools, extra = [] } = request
    const { instance, info } = step
    const { jsonSchema, tool } = await loadAi()
    const session = this.sessions.get(instance, info.sessionID)
    const rules = [...agent.permission, ...(session.permission ?? [])]
    const out: ToolSet = {}
    for (const definition of [...(await this.kernel.tools.list(instance)), ...extra]) {
      const own = extra.includes(definition)
      if (!own && (agent.tools?.[definition.id] === false || userTools?.[definition.id] === false)) continue
      const gate = evaluate(rules, toolPermission(definition.id), '*')
      if (!own && gate.action === 'deny' && gate.pattern === '*') continue
      const shown = await shownTool(this.kernel, instance, definition)
      out[definition.id] = tool({
        description: shown.description,
        inputSchema: jsonSchema(shown.parameters as Parameters<typeof jsonSchema>[0]),
        execute: (input: unknown, options: { toolCallId: string }) =>
          this.execute(request, definition, rules, input, options.toolCallId),
      })
    }
    return out
  }

  /** The model called `definition`: its part (made now if the stream has not), then the run. */
  private async execute(
    { step, agent, signal, control, beforeTool }: ToolSetRequest,
    definition: ToolDefinition,
    rules: PermissionRule[],
    input: unknown,
    callID: string,
  ): Promise<string> {
    const { instance, info } = step
    let part = step.tools.get(callID)
    if (!part) {
      part = {
        id: ascendingId('prt'),
        sessionID: info.sessionID,
        messageID: info.id,
        type: 'tool',
        callID,
        tool: definition.id,
        state: { status: 'pending', input: {}, raw: '' },
      }
      step.tools.set(callID, part)
      step.add(part)
    }
    // The provider's stream has ended before the SDK runs a tool; the step says so first.
    await untilStreamEnd(step, signal)
    await beforeTool()
    const sessionID = info.sessionID
    return this.runTool({
      instance,
      sessionID,
      info,
      agent,
      definition,
      part,
      input,
      signal,
      rules,
      control,
      updatePart: step.update,
    })
  }

  /**
   * Runs one tool call: the part goes running → completed or error, permissions are asked under
   * `rules`. Returns the output for the model; throws with the message the model sees.
   */
  async runTool(call: ToolRun): Promise<string> {
    const { instance, sessionID, definition, signal, updatePart } = call
    const running = call.part
    let args = (call.input ?? {}) as Record<string, unknown>
    const start = Date.now()
    running.state = { status: 'running', input: args, time: { start } }
    updatePart(running)
    const context = this.toolContext(call)
    try {
      args = (
        await triggerHook(
          this.kernel,
          instance,
          'tool.execute.before',
          { tool: definition.id, sessionID, callID: running.callID },
          { args },
        )
      ).args
      checkToolArguments(definition, args)
      const result = await triggerHook(
        this.kernel,
        instance,
        'tool.execute.after',
        { tool: definition.id, sessionID, callID: running.callID, args },
        await definition.execute(args, context),
      )
      if (signal.aborted) throw new Error('Tool execution aborted')
      running.state = completedState(call, args, result, start)
      updatePart(running)
      return result.output
    } catch (error) {
      throw this.failed(call, args, start, error)
    }
  }

  /** What the tool sees of its call: ids, model, abort signal, and where it reports and asks. */
  private toolContext(call: ToolRun): ToolContext {
    const { instance, sessionID, info, signal, updatePart } = call
    const running = call.part
    return {
      instance,
      sessionID,
      messageID: info.id,
      callID: running.callID,
      agent: call.agent.name,
      model: { providerID: info.providerID, modelID: info.modelID },
      abort: signal,
      metadata: (update) => {
        if (running.state.status !== 'running') return
        const changed = update.metadata !== undefined && !isDeepStrictEqual(update.metadata, running.state.metadata)
        if (update.title !== undefined) running.state.title = update.title
        if (update.metadata !== undefined) running.state.metadata = update.metadata
        updatePart(running, 'later')
        // 2.1's progress: once per change of the metadata, not per call (a title alone is no progress).
        if (changed)
          this.kernel.publish(instance, ToolProgress, {
            timestamp: Date.now(),
            sessionID,
            assistantMessageID: info.id,
            id: running.callID,
            metadata: structuredClone(update.metadata!),
          })
      },
      ask: (request) => this.ask(instance, sessionID, info.id, running.callID, call.rules, request, signal),
    }
  }

  /** The part ends in error; returns the error the model is told (a named error may stop the turn). */
  private failed(call: ToolRun, args: Record<string, unknown>, start: number, error: unknown): Error {
    const running = call.part
    const message = call.signal.aborted ? 'Tool execution aborted' : errorMessage(error)
    const metadata = running.state.status === 'running' ? running.state.metadata : undefined
    running.state = {
      status: 'error',
      input: args,
      error: message,
      time: { start, end: Date.now() },
      ...(metadata ? { metadata } : {}),
    }
    call.updatePart(running)
    if (isNamedError(error) && (error.data as { stop?: boolean }).stop) call.control.stop = true
    return new Error(message, { cause: error })
  }

  /** Rules first: allow passes, deny fails; `ask` goes to the permission plugin when there is one. */
  private async ask(
    instance: Instance,
    sessionID: string,
    messageID: string,
    callID: string,
    rules: PermissionRule[],
    request: PermissionAsk,
    signal: AbortSignal,
  ): Promise<void> {
    const needed: string[] = []
    for (const pattern of request.patterns) {
      const rule = evaluate(rules, request.permission, pattern)
      if (rule.action === 'deny')
        throw new PermissionDeniedError(
          rules.filter((r) => r.permission === request.permission || r.permission === '*'),
        )
      if (rule.action === 'ask') needed.push(pattern)
    }
    if (needed.length === 0) return
    const gate = (this.app as FastifyInstance & { permissionGate?: PermissionGate }).permissionGate
    if (!gate)
      throw new NamedError('PermissionDeniedError', 403, {
        message: `Permission "${request.permission}" needs approval for ${needed.join(', ')}, and no permission service is running.`,
      })
    await gate.ask(instance, { ...request, sessionID, messageID, callID, rules }, signal)
  }
}

/** Waits until the step's provider stream has ended, or the turn is aborted. */
function untilStreamEnd(step: StepParts, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
    void step.streamEnd.then(done)
  })
}

/** The part's state once the tool returned: its output, title, metadata and attachments. */
function completedState(
  { sessionID, info }: ToolRun,
  args: Record<string, unknown>,
  result: ToolResult,
  start: number,
): ToolPart['state'] {
  return {
    status: 'completed',
    input: args,
    output: result.output,
    title: result.title,
    metadata: result.metadata ?? {},
    time: { start, end: Date.now() },
    ...(result.attachments?.length
      ? {
          attachments: result.attachments.map((a) => ({
            ...a,
            id: ascendingId('prt'),
            sessionID,
            messageID: info.id,
            type: 'file',
          })),
        }
      : {}),
  }
}
