// A model call's stream turned into parts, chunk by chunk: text and reasoning parts that grow by
// deltas, tool parts from pending on, and the call's usage and finish reason.
import type { SessionKernel } from '../../index.js'
import type { TextStreamPart, ToolSet } from 'ai'
import { ascendingId } from '../../../../sdk/index.js'
import { triggerHook } from '../../../../sdk/hooks.js'
import type { ReasoningPart, TextPart, ToolPart } from '../../schemas.js'
import { StepStreamed } from '../../http/v21/events.js'
import { errorMessage } from './ai-sdk.js'
import type { Usage } from './assistant-message.js'
import type { StepParts } from './parts.js'
import { isStreamEnd } from './stream-end.js'

type Chunk = TextStreamPart<ToolSet>
type ChunkOf<T extends Chunk['type']> = Extract<Chunk, { type: T }>

/** Consumes the stream of each attempt of one step; usage and finish reason outlive a failed attempt. */
export class StepStream {
  /** Whether the current attempt produced output (then it is not retried). */
  produced = false
  finish: string | undefined
  usage: Usage | undefined
  private error: unknown
  /** Text and reasoning parts still streaming, by `text:<id>` / `reasoning:<id>`. */
  private open = new Map<string, TextPart | ReasoningPart>()
  /** Whether the current attempt's provider stream has ended (`session.step.streamed` sent). */
  private streamed = false

  constructor(
    private readonly kernel: SessionKernel,
    private readonly step: StepParts,
  ) {}

  /**
   * One attempt: every chunk into parts; throws what the stream reported as its error. `marked`:
   * a marker chunk tells where the provider's stream ended (`stream-end.ts`), and the tools the
   * attempt calls wait for it.
   */
  async consume(stream: AsyncIterable<Chunk>, marked = false): Promise<void> {
    this.produced = false
    this.streamed = false
    this.error = undefined
    this.open = new Map()
    if (marked) this.step.awaitStreamEnd()
    try {
      for await (const chunk of stream) {
        const pending = this.handle(chunk)
        if (pending) await pending
      }
    } finally {
      this.step.endStream()
    }
    // Parts a broken stream left open still keep what was streamed.
    for (const part of this.open.values()) {
      part.time = { start: part.time?.start ?? Date.now(), end: Date.now() }
      this.step.update(part)
    }
    if (this.error) throw this.error
  }

  private handle(chunk: Chunk): Promise<void> | void {
    switch (chunk.type) {
      case 'text-start':
      case 'reasoning-start':
        return this.textStarted(chunk)
      case 'text-delta':
      case 'reasoning-delta':
        return this.textDelta(chunk)
      case 'text-end':
      case 'reasoning-end':
        return this.textEnded(chunk)
      case 'tool-input-start':
        this.produced = true
        return this.toolPart(chunk.id, chunk.toolName, {})
      case 'tool-input-delta': {
        const part = this.step.tools.get(chunk.id)
        if (part?.state.status === 'pending') part.state.raw += chunk.delta
        return
      }
      case 'tool-call':
        return this.toolCalled(chunk)
      case 'tool-error':
        return this.toolFailed(chunk)
      case 'raw':
        if (isStreamEnd(chunk)) this.streamEnded()
        return
      case 'finish-step':
        // Unmarked streams (a model the step could not wrap) have streamed by now.
        this.streamEnded()
        return this.finished(chunk)
      case 'error':
        this.error = chunk.error
        return
    }
  }

  private textStarted(chunk: ChunkOf<'text-start' | 'reasoning-start'>): void {
    this.produced = true
    const type = chunk.type === 'text-start' ? 'text' : 'reasoning'
    const part = {
      id: ascendingId('prt'),
      sessionID: this.step.info.sessionID,
      messageID: this.step.info.id,
      type,
      text: '',
      time: { start: Date.now() },
    } as TextPart | ReasoningPart
    this.open.set(`${type}:${chunk.id}`, part)
    this.step.add(part)
  }

  private textDelta(chunk: ChunkOf<'text-delta' | 'reasoning-delta'>): void {
    const part = this.open.get(`${chunk.type === 'text-delta' ? 'text' : 'reasoning'}:${chunk.id}`)
    if (!part || !chunk.text) return
    part.text += chunk.text
    this.step.delta(part, chunk.text)
  }

  /** A finished text part goes through `experimental.text.complete` before it is saved. */
  private async textEnded(chunk: ChunkOf<'text-end' | 'reasoning-end'>): Promise<void> {
    const key = `${chunk.type === 'text-end' ? 'text' : 'reasoning'}:${chunk.id}`
    const part = this.open.get(key)
    if (!part) return
    this.open.delete(key)
    part.text = part.text.trimEnd()
    const { info, instance } = this.step
    if (part.type === 'text')
      part.text = (
        await triggerHook(
          this.kernel,
          instance,
          'experimental.text.complete',
          { sessionID: info.sessionID, messageID: info.id, partID: part.id },
          { text: part.text },
        )
      ).text
    part.time = { start: part.time?.start ?? Date.now(), end: Date.now() }
    this.step.update(part)
  }

  /** A pending tool part for a call, once (its input streams in, or comes whole with `tool-call`). */
  private toolPart(callID: string, tool: string, input: Record<string, unknown>): void {
    if (this.step.tools.has(callID)) return
    const part: ToolPart = {
      id: ascendingId('prt'),
      sessionID: this.step.info.sessionID,
      messageID: this.step.info.id,
      type: 'tool',
      callID,
      tool,
      state: { status: 'pending', input, raw: '' },
    }
    this.step.tools.set(callID, part)
    this.step.add(part)
  }

  /** The model's whole call: its part (if the input did not stream), and 2.1's `tool.called` unless it is invalid. */
  private toolCalled(chunk: ChunkOf<'tool-call'>): void {
    this.produced = true
    const input = (chunk.input ?? {}) as Record<string, unknown>
    this.toolPart(chunk.toolCallId, chunk.toolName, input)
    const part = this.step.tools.get(chunk.toolCallId)
    if (part && !chunk.invalid) this.step.called(part, input)
  }

  /** The provider's stream of this attempt has ended: once per attempt, then its tools may run. */
  private streamEnded(): void {
    if (this.streamed) return
    this.streamed = true
    const { info, instance } = this.step
    // A summary is a compaction in 2.1, which has no step events.
    if (!info.summary)
      this.kernel.publish(instance, StepStreamed, {
        timestamp: Date.now(),
        sessionID: info.sessionID,
        assistantMessageID: info.id,
      })
    this.step.endStream()
  }

  /** Errors the SDK raises before our execute runs (unknown tool, unparsable input). */
  private toolFailed(chunk: ChunkOf<'tool-error'>): void {
    const part = this.step.tools.get(chunk.toolCallId)
    if (part && (part.state.status === 'pending' || part.state.status === 'running')) {
      const start = part.state.status === 'running' ? part.state.time.start : Date.now()
      part.state = {
        status: 'error',
        input: (chunk.input ?? {}) as Record<string, unknown>,
        error: errorMessage(chunk.error),
        time: { start, end: Date.now() },
      }
      this.step.update(part)
    }
  }

  private finished(chunk: ChunkOf<'finish-step'>): void {
    const cacheRead = chunk.usage.inputTokenDetails?.cacheReadTokens ?? 0
    const cacheWrite = chunk.usage.inputTokenDetails?.cacheWriteTokens ?? 0
    this.usage = {
      input: Math.max(0, (chunk.usage.inputTokens ?? 0) - cacheRead - cacheWrite),
      output: chunk.usage.outputTokens ?? 0,
      reasoning: chunk.usage.outputTokenDetails?.reasoningTokens ?? 0,
      cacheRead,
      cacheWrite,
    }
    this.finish = chunk.finishReason
  }
}
