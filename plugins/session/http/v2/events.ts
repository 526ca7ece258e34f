import type { SessionKernel } from '../../index.js'
import { Type, type TProperties } from 'typebox'
import {
  LocationRef,
  StringEnum,
  defineEvent,
  ref,
  type BusEvent,
  type EventDefinition,
  type Instance,
} from '../../../../sdk/index.js'
import type { AssistantMessage, MessageInfo, Part, ToolPart, UserMessage } from '../../schemas.js'
import { RevertState } from './schemas.js'
import { ownText } from '../../loop/prompt-parts.js'

/*
 * OpenCode's v2 session events (`session.next.*`). They describe the same turns as the v1 events
 * (`message.updated`, `message.part.updated`, `message.part.delta`) and are published right after
 * them, from the same calls (`TurnEvents`), so both streams tell one story. The sync plugin logs
 * every `session.next.*` event except the deltas in the session's durable log (its `seq`).
 */

const common = { timestamp: Type.Number(), sessionID: Type.String() }
const Json = Type.Object({}, { additionalProperties: true })
const ModelRef = Type.Object({ id: Type.String(), providerID: Type.String(), variant: Type.Optional(Type.String()) })
const UnknownError = Type.Object({ type: Type.Literal('unknown'), message: Type.String() })
const Delivery = StringEnum(['steer', 'queue'])
const Prompt = Type.Object({
  text: Type.String(),
  files: Type.Optional(
    Type.Array(Type.Object({ uri: Type.String(), mime: Type.String(), name: Type.Optional(Type.String()) })),
  ),
  agents: Type.Optional(Type.Array(Type.Object({ name: Type.String() }))),
})
const Tokens = Type.Object({
  input: Type.Number(),
  output: Type.Number(),
  reasoning: Type.Number(),
  cache: Type.Object({ read: Type.Number(), write: Type.Number() }),
})
const Content = Type.Array(Type.Object({ type: Type.String() }, { additionalProperties: true }))

const next = <P extends TProperties>(name: string, properties: P) =>
  defineEvent(`session.next.${name}`, { ...common, ...properties })
const inStep = { assistantMessageID: Type.String() }

export const AgentSwitched = next('agent.switched', { messageID: Type.String(), agent: Type.String() })
export const ModelSwitched = next('model.switched', { messageID: Type.String(), model: ModelRef })
export const Moved = next('moved', { location: ref(LocationRef), subdirectory: Type.Optional(Type.String()) })
export const PromptAdmitted = next('prompt.admitted', { messageID: Type.String(), prompt: Prompt, delivery: Delivery })
export const Prompted = next('prompted', { messageID: Type.String(), prompt: Prompt, delivery: Delivery })
export const StepStarted = next('step.started', {
  ...inStep,
  agent: Type.String(),
  model: ModelRef,
  snapshot: Type.Optional(Type.String()),
})
export const StepEnded = next('step.ended', {
  ...inStep,
  finish: Type.String(),
  cost: Type.Number(),
  tokens: Tokens,
  snapshot: Type.Optional(Type.String()),
  files: Type.Optional(Type.Array(Type.String())),
})
export const StepFailed = next('step.failed', { ...inStep, error: UnknownError })
export const TextStarted = next('text.started', { ...inStep, textID: Type.String() })
export const TextDelta = next('text.delta', { ...inStep, textID: Type.String(), delta: Type.String() })
export const TextEnded = next('text.ended', { ...inStep, textID: Type.String(), text: Type.String() })
export const ReasoningStarted = next('reasoning.started', { ...inStep, reasoningID: Type.String() })
export const ReasoningDelta = next('reasoning.delta', { ...inStep, reasoningID: Type.String(), delta: Type.String() })
export const ReasoningEnded = next('reasoning.ended', { ...inStep, reasoningID: Type.String(), text: Type.String() })
export const ToolInputStarted = next('tool.input.started', { ...inStep, callID: Type.String(), name: Type.String() })
export const ToolInputEnded = next('tool.input.ended', { ...inStep, callID: Type.String(), text: Type.String() })
export const ToolCalled = next('tool.called', {
  ...inStep,
  callID: Type.String(),
  tool: Type.String(),
  input: Json,
  provider: Json,
})
export const ToolSuccess = next('tool.success', {
  ...inStep,
  callID: Type.String(),
  structured: Json,
  content: Content,
  outputPaths: Type.Optional(Type.Array(Type.String())),
  provider: Json,
})
export const ToolFailed = next('tool.failed', { ...inStep, callID: Type.String(), error: UnknownError, provider: Json })
export const CompactionStarted = next('compaction.started', {
  messageID: Type.String(),
  reason: StringEnum(['auto', 'manual']),
})
export const CompactionEnded = next('compaction.ended', {
  messageID: Type.String(),
  reason: StringEnum(['auto', 'manual']),
  text: Type.String(),
  recent: Type.String(),
})
export const RevertStaged = next('revert.staged', { revert: ref(RevertState) })
export const RevertCleared = next('revert.cleared', {})
export const RevertCommitted = next('revert.committed', { messageID: Type.String() })

export type PromptView = {
  text: string
  files?: { uri: string; mime: string; name?: string }[]
  agents?: { name: string }[]
}
export type DeliveryMode = 'steer' | 'queue'

/** The v2 prompt a stored user message carries: its own text, files and agents. */
export function promptOf(parts: Part[]): PromptView {
  const text = ownText(parts)
  const files = parts.flatMap((part) =>
    part.type === 'file' ? [{ uri: part.url, mime: part.mime, ...(part.filename ? { name: part.filename } : {}) }] : [],
  )
  const agents = parts.flatMap((part) => (part.type === 'agent' ? [{ name: part.name }] : []))
  return { text, ...(files.length ? { files } : {}), ...(agents.length ? { agents } : {}) }
}

/** How far the v2 events of one part have got. */
type Stage = 'text' | 'reasoning' | 'input' | 'called' | 'done'

/** An assistant message being written: one v2 step (or a summary: a compaction). */
interface OpenStep {
  parts: Map<string, Stage>
  files: Set<string>
  snapshot?: string
  compaction?: 'auto' | 'manual'
  /** Text and reasoning parts started so far (their ordinals). */
  counts?: { text: number; reasoning: number }
}

/** Steps open at once across the server; beyond this the oldest are forgotten (never in practice). */
const MAX_OPEN_STEPS = 10_000

/**
 * Publishes the v2 events of a turn from the v1 changes the loop makes: a new assistant message
 * opens a step, its parts start and end text, reasoning and tool calls, its completion ends (or
 * fails) the step. Called by the session service right after each v1 event.
 */
export class TurnEvents {
  private readonly open = new Map<string, OpenStep>()
  /** Each streamed text or reasoning part's place in its message (2.1 names parts by `ordinal`). */
  private readonly ordinals = new Map<string, number>()

  constructor(private readonly kernel: SessionKernel) {}

  private publish<E extends EventDefinition>(
    instance: Instance,
    event: E,
    sessionID: string,
    data: Record<string, unknown>,
  ): BusEvent {
    return this.kernel.publish(instance, event, { timestamp: Date.now(), sessionID, ...data } as never)
  }

  /** A user message joined the conversation (v1 or v2 prompt). */
  prompted(instance: Instance, user: UserMessage, parts: Part[], delivery: DeliveryMode = 'steer'): BusEvent {
    return this.publish(instance, Prompted, user.sessionID, { messageID: user.id, prompt: promptOf(parts), delivery })
  }

  message(
    instance: Instance,
    info: MessageInfo,
    reasonOf: (parentID: string) => 'auto' | 'manual',
    summaryText: () => string,
  ): void {
    if (info.role !== 'assistant') return
    let step = this.open.get(info.id)
    if (!step && !info.time.completed) {
      if (this.open.size >= MAX_OPEN_STEPS) this.open.delete(this.open.keys().next().value!)
      step = { parts: new Map(), files: new Set() }
      this.open.set(info.id, step)
      if (info.summary) {
        step.compaction = reasonOf(info.parentID)
        this.publish(instance, CompactionStarted, info.sessionID, { messageID: info.id, reason: step.compaction })
      } else this.stepStarted(instance, info)
    }
    if (!step || !info.time.completed) return
    this.open.delete(info.id)
    this.end(instance, info, step, summaryText)
  }

  private end(instance: Instance, info: AssistantMessage, step: OpenStep, summaryText: () => string): void {
    const { sessionID, id } = info
    if (info.error) {
      const message = String((info.error.data as { message?: unknown }).message ?? info.error.name)
      this.publish(instance, StepFailed, sessionID, {
        assistantMessageID: id,
        error: {
          type: 'unknown',
          message: info.error.name === 'MessageAbortedError' ? 'Provider turn interrupted' : message,
        },
      })
      return
    }
    if (step.compaction) {
      this.publish(instance, CompactionEnded, sessionID, {
        messageID: id,
        reason: step.compaction,
        text: summaryText(),
        recent: '',
      })
      return
    }
    const tokens = {
      input: info.tokens.input,
      output: info.tokens.output,
      reasoning: info.tokens.reasoning,
      cache: { read: info.tokens.cache.read, write: info.tokens.cache.write },
    }
    this.publish(instance, StepEnded, sessionID, {
      assistantMessageID: id,
      finish: info.finish ?? 'stop',
      cost: info.cost,
      tokens,
      ...(step.snapshot ? { snapshot: step.snapshot } : {}),
      files: [...step.files],
    })
  }

  part(instance: Instance, part: Part): void {
    const step = this.open.get(part.messageID)
    if (!step) return
    const { sessionID } = part
    const at = { assistantMessageID: part.messageID }
    const stage = step.parts.get(part.id)
    switch (part.type) {
      case 'text':
      case 'reasoning': {
        if (stage === 'done' || (part.type === 'text' && part.synthetic)) return
        const text = part.type === 'text'
        const key = text ? { textID: part.id } : { reasoningID: part.id }
        if (!stage) {
          step.parts.set(part.id, part.type)
          this.number(step, part.id, part.type)
          this.publish(instance, text ? TextStarted : ReasoningStarted, sessionID, { ...at, ...key })
        }
        if (part.time?.end) {
          step.parts.set(part.id, 'done')
          this.publish(instance, text ? TextEnded : ReasoningEnded, sessionID, { ...at, ...key, text: part.text })
        }
        return
      }
      case 'tool':
        return this.tool(instance, step, part, stage)
      case 'patch':
        for (const file of part.files) step.files.add(file)
        return
      case 'step-finish':
        if (part.snapshot) step.snapshot = part.snapshot
        return
    }
  }

  /**
   * The model called a tool with its whole input: the call's input ends and it is called now,
   * as the stream reports it (before the provider's stream ends and the tool runs), not when the
   * part later starts running.
   */
  called(instance: Instance, part: ToolPart, input: Record<string, unknown>): void {
    const step = this.open.get(part.messageID)
    const stage = step?.parts.get(part.id)
    if (!step || (stage !== undefined && stage !== 'input')) return
    const at = { assistantMessageID: part.messageID, callID: part.callID }
    if (!stage) this.publish(instance, ToolInputStarted, part.sessionID, { ...at, name: part.tool })
    step.parts.set(part.id, 'called')
    const raw = part.state.status === 'pending' ? part.state.raw : ''
    this.publish(instance, ToolInputEnded, part.sessionID, { ...at, text: raw || JSON.stringify(input) })
    this.publish(instance, ToolCalled, part.sessionID, { ...at, tool: part.tool, input, provider: { executed: false } })
  }

  /** A failed model call of an open step is tried again: the step starts again (same message). */
  restarted(instance: Instance, info: AssistantMessage): void {
    const step = this.open.get(info.id)
    if (step && !step.compaction) this.stepStarted(instance, info)
  }

  private stepStarted(instance: Instance, info: AssistantMessage): void {
    this.publish(instance, StepStarted, info.sessionID, {
      assistantMessageID: info.id,
      agent: info.agent || info.mode,
      model: { id: info.modelID, providerID: info.providerID },
    })
  }

  private tool(instance: Instance, step: OpenStep, part: ToolPart, stage: Stage | undefined): void {
    if (stage === 'done') return
    const { sessionID, callID, state } = part
    const at = { assistantMessageID: part.messageID, callID }
    const provider = { executed: false }
    if (!stage) {
      step.parts.set(part.id, 'input')
      this.publish(instance, ToolInputStarted, sessionID, { ...at, name: part.tool })
    }
    if (state.status === 'pending') return
    if (step.parts.get(part.id) === 'input') {
      step.parts.set(part.id, 'called')
      this.publish(instance, ToolInputEnded, sessionID, { ...at, text: JSON.stringify(state.input ?? {}) })
      if (state.status !== 'error')
        this.publish(instance, ToolCalled, sessionID, { ...at, tool: part.tool, input: state.input ?? {}, provider })
    }
    if (state.status === 'completed') {
      step.parts.set(part.id, 'done')
      const files = state.attachments?.map((file) => ({ type: 'file', uri: file.url, mime: file.mime })) ?? []
      this.publish(instance, ToolSuccess, sessionID, {
        ...at,
        structured: state.metadata ?? {},
        content: [{ type: 'text', text: state.output }, ...files],
        outputPaths: [],
        provider,
      })
    } else if (state.status === 'error') {
      step.parts.set(part.id, 'done')
      this.publish(instance, ToolFailed, sessionID, {
        ...at,
        error: { type: 'unknown', message: state.error },
        provider,
      })
    }
  }

  /** The ordinal of a streamed text or reasoning part (0 once forgotten). */
  ordinalOf(partID: string): number {
    return this.ordinals.get(partID) ?? 0
  }

  private number(step: OpenStep, partID: string, type: 'text' | 'reasoning'): void {
    if (this.ordinals.size >= MAX_OPEN_STEPS) this.ordinals.delete(this.ordinals.keys().next().value!)
    step.counts ??= { text: 0, reasoning: 0 }
    this.ordinals.set(partID, step.counts[type]++)
  }

  /** A streamed piece of a text or reasoning part. */
  delta(instance: Instance, sessionID: string, messageID: string, partID: string, delta: string): void {
    const stage = this.open.get(messageID)?.parts.get(partID)
    if (stage === 'text')
      this.publish(instance, TextDelta, sessionID, { assistantMessageID: messageID, textID: partID, delta })
    else if (stage === 'reasoning')
      this.publish(instance, ReasoningDelta, sessionID, { assistantMessageID: messageID, reasoningID: partID, delta })
  }
}
