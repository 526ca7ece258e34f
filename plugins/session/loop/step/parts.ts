// The parts of one step's assistant message as they are written: kept in order, saved (now, or
// with the next coalesced write) and published.
import type { Instance } from '../../../../sdk/index.js'
import type { AssistantMessage, Part, ToolPart } from '../../schemas.js'
import type { PartWriter } from '../../store/part-writer.js'
import type { SessionService } from '../../store/service.js'

/** Saves and publishes a changed part: `now`, or with the writer's next batch (`later`). */
export type UpdatePart = (part: Part, persist?: 'now' | 'later') => void

/** An `UpdatePart` over the writer and the session service. */
export function partUpdater(instance: Instance, sessions: SessionService, writer: PartWriter): UpdatePart {
  return (part, persist = 'now') => {
    if (persist === 'now') writer.save(part)
    else writer.schedule(part)
    sessions.publishPart(instance, part)
  }
}

export class StepParts {
  readonly parts: Part[] = []
  /** The step's tool parts by call id. */
  readonly tools = new Map<string, ToolPart>()
  readonly update: UpdatePart
  /**
   * Settles when the provider's stream of the current attempt has ended (`endStream`): a tool
   * waits for it before it runs, so the step's `streamed` event comes before the tool's events.
   */
  streamEnd: Promise<void> = Promise.resolve()
  private endStreamNow?: () => void

  constructor(
    readonly instance: Instance,
    readonly info: AssistantMessage,
    private readonly sessions: SessionService,
    private readonly writer: PartWriter,
  ) {
    this.update = partUpdater(instance, sessions, writer)
  }

  /** A new part of the message, saved and published at once. */
  readonly add = (part: Part): void => {
    this.parts.push(part)
    this.writer.save(part)
    this.sessions.publishPart(this.instance, part)
  }

  /** The model called a tool with its whole input (before the tool runs): 2.1's `tool.called`. */
  called(part: ToolPart, input: Record<string, unknown>): void {
    this.sessions.next.called(this.instance, part, input)
  }

  /** A new attempt whose stream end will be marked: its tools wait for `endStream`. */
  awaitStreamEnd(): void {
    this.endStream()
    this.streamEnd = new Promise((resolve) => (this.endStreamNow = resolve))
  }

  endStream(): void {
    this.endStreamNow?.()
    this.endStreamNow = undefined
  }

  /** A streamed piece of a text or reasoning part: on the bus at once, stored with the next batch. */
  delta(part: Part, text: string): void {
    this.sessions.publishDelta(this.instance, this.info.sessionID, this.info.id, part.id, text)
    this.writer.schedule(part)
  }
}
