import type { SessionKernel } from '../index.js'
import { relative } from 'node:path'
import { descendingId, type Instance } from '../../../sdk/index.js'
import { MessageNotFoundError, PartNotFoundError, SessionNotFoundError } from '../errors.js'
import {
  MessagePartDelta,
  MessagePartRemoved,
  MessagePartUpdated,
  MessageRemoved,
  MessageUpdated,
  SessionCreated,
  SessionDeleted,
  SessionUpdated,
} from '../events.js'
import type { MessageInfo, MessageWithParts, Part, SessionInfo } from '../schemas.js'
import type { SessionFilter, SessionStore } from './store.js'
import { TurnEvents } from '../http/v2/events.js'
import { ownText } from '../loop/prompt-parts.js'

const ADJECTIVES =
  'brave calm clever cosmic crisp curious eager gentle glowing happy hidden jolly kind lucky mighty misty neon nimble playful proud quick quiet shiny silent stellar sunny swift tidy witty'.split(
    ' ',
  )
const NOUNS =
  'cabin cactus canyon circuit comet eagle engine falcon forest garden harbor island knight lagoon meadow moon mountain nebula orchid otter panda pixel planet river rocket sailor squid star tiger wizard wolf'.split(
    ' ',
  )

const pick = (words: string[]) => words[Math.floor(Math.random() * words.length)]!

/** Whether a title is still the one a session was created with (so a generated one may replace it). */
export function isDefaultTitle(title: string): boolean {
  return /^(New session - |Child session - )\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(title)
}

export interface CreateSessionInput {
  /** A client-chosen `ses_…` id (v2); the caller checks it is free. */
  id?: string
  parentID?: string
  title?: string
  agent?: string
  model?: SessionInfo['model']
  metadata?: Record<string, unknown>
  permission?: SessionInfo['permission']
}

/** Sessions, messages and parts: storage plus the events every change publishes. */
export class SessionService {
  /** The v2 (`session.next.*`) events of each change, published right after its v1 event. */
  readonly next: TurnEvents

  constructor(
    private readonly kernel: SessionKernel,
    readonly store: SessionStore,
  ) {
    this.next = new TurnEvents(kernel)
  }

  create(instance: Instance, input: CreateSessionInput): SessionInfo {
    const info = this.build(instance, input)
    this.store.createSession(info)
    this.kernel.publish(instance, SessionCreated, { sessionID: info.id, info })
    return info
  }

  /** A new session's info at `instance` (its parent checked), neither stored nor published. */
  build(instance: Instance, input: CreateSessionInput): SessionInfo {
    const now = Date.now()
    const stamp = new Date(now).toISOString()
    const info: SessionInfo = {
      id: input.id ?? descendingId('ses'),
      slug: `${pick(ADJECTIVES)}-${pick(NOUNS)}`,
      projectID: instance.project.id,
      directory: instance.directory,
      path: relative(instance.worktree, instance.directory),
      cost: 0,
      tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } },
      title: input.title ?? `${input.parentID ? 'Child session' : 'New session'} - ${stamp}`,
      version: this.kernel.version,
      time: { created: now, updated: now },
    }
    if (input.parentID) {
      this.get(instance, input.parentID)
      info.parentID = input.parentID
    }
    if (input.agent) info.agent = input.agent
    if (input.model) info.model = input.model
    if (input.metadata) info.metadata = input.metadata
    if (input.permission) info.permission = input.permission
    return info
  }

  /** The session, which must belong to this instance's project; else SessionNotFoundError. */
  get(instance: Instance, sessionID: string): SessionInfo {
    const info = this.store.getSession(sessionID)
    if (!info || info.projectID !== instance.project.id) throw new SessionNotFoundError(sessionID)
    return info
  }

  list(filter: SessionFilter): SessionInfo[] {
    return this.store.listSessions(filter)
  }

  /** Applies `change` to the stored session, saves and publishes it. */
  update(
    instance: Instance,
    sessionID: string,
    change: (info: SessionInfo) => void,
    options: { touch?: boolean } = {},
  ): SessionInfo {
    const info = this.get(instance, sessionID)
    change(info)
    if (options.touch) info.time.updated = Date.now()
    this.store.saveSession(info)
    this.kernel.publish(instance, SessionUpdated, { sessionID, info })
    return info
  }

  /** Deletes the session, its descendants, their messages and parts. Returns the deleted ids. */
  remove(instance: Instance, sessionID: string): string[] {
    this.get(instance, sessionID)
    const ids = this.store.descendants(sessionID)
    const infos = ids.map((id) => this.store.getSession(id)).filter((info): info is SessionInfo => info !== undefined)
    this.store.deleteSessions(ids)
    for (const info of infos) this.kernel.publish(instance, SessionDeleted, { sessionID: info.id, info })
    return ids
  }

  saveMessage(instance: Instance, info: MessageInfo): void {
    this.store.saveMessage(info)
    // A snapshot: the loop keeps mutating its objects, and subscribers may serialise later.
    this.kernel.publish(instance, MessageUpdated, { sessionID: info.sessionID, info: structuredClone(info) })
    if (info.role === 'assistant')
      this.next.message(
        instance,
        info,
        (parentID) => this.summaryReason(info.sessionID, parentID),
        () => this.finalText(info.sessionID, info.id),
      )
  }

  /** Whether the summary answering this request was asked for automatically. */
  private summaryReason(sessionID: string, requestID: string): 'auto' | 'manual' {
    const part = this.store.getMessage(sessionID, requestID)?.parts.find((candidate) => candidate.type === 'compaction')
    return part?.type === 'compaction' && part.auto ? 'auto' : 'manual'
  }

  private finalText(sessionID: string, messageID: string): string {
    return ownText(this.store.getMessage(sessionID, messageID)?.parts ?? [])
  }

  message(instance: Instance, sessionID: string, messageID: string): MessageWithParts {
    this.get(instance, sessionID)
    const message = this.store.getMessage(sessionID, messageID)
    if (!message) throw new MessageNotFoundError(messageID)
    return message
  }

  removeMessage(instance: Instance, sessionID: string, messageID: string): void {
    this.message(instance, sessionID, messageID)
    this.store.deleteMessage(sessionID, messageID)
    this.kernel.publish(instance, MessageRemoved, { sessionID, messageID })
  }

  /** Stores the part and publishes it. */
  savePart(instance: Instance, part: Part): void {
    this.store.savePart(part)
    this.publishPart(instance, part)
  }

  publishPart(instance: Instance, part: Part): void {
    this.kernel.publish(instance, MessagePartUpdated, {
      sessionID: part.sessionID,
      part: structuredClone(part),
      time: Date.now(),
    })
    this.next.part(instance, part)
  }

  /** One streamed piece of a text or reasoning part: the delta only, never the whole part. */
  publishDelta(instance: Instance, sessionID: string, messageID: string, partID: string, delta: string): void {
    this.kernel.publish(instance, MessagePartDelta, { sessionID, messageID, partID, field: 'text', delta })
    this.next.delta(instance, sessionID, messageID, partID, delta)
  }

  part(instance: Instance, sessionID: string, messageID: string, partID: string): Part {
    this.message(instance, sessionID, messageID)
    const part = this.store.getPart(messageID, partID)
    if (!part) throw new PartNotFoundError(partID)
    return part
  }

  removePart(instance: Instance, sessionID: string, messageID: string, partID: string): void {
    this.part(instance, sessionID, messageID, partID)
    this.store.deletePart(messageID, partID)
    this.kernel.publish(instance, MessagePartRemoved, { sessionID, messageID, partID })
  }
}
