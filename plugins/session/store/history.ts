import type { SessionKernel } from '../index.js'
import type { FastifyInstance } from 'fastify'
import { NotFoundError, ascendingId, type Instance } from '../../../sdk/index.js'
import type { FileDiffInfo, SnapshotPatch } from '../../snapshot/types.js'
import { SessionDiff } from '../events.js'
import type { MessageWithParts, Part, SessionInfo } from '../schemas.js'
import type { SessionService } from './service.js'
import { isStagedRevert } from '../http/v2/views.js'

/**
 * What a session changed and how to take it back: diffs from step snapshots, revert/unrevert of
 * files, and forks. Files are only touched through the snapshot plugin (when it runs).
 */
export class SessionHistory {
  constructor(
    private readonly app: FastifyInstance,
    private readonly kernel: SessionKernel,
    private readonly sessions: SessionService,
  ) {}

  private get snapshots() {
    return this.app.hasDecorator('snapshots') ? this.app.snapshots : undefined
  }

  /** The messages a diff covers: the whole session, or one user message and its replies. */
  private scope(sessionID: string, messageID?: string): MessageWithParts[] {
    const all = this.sessions.store.allMessages(sessionID)
    if (!messageID) return all
    return all.filter((m) => m.info.id === messageID || (m.info.role === 'assistant' && m.info.parentID === messageID))
  }

  /** From the first snapshot taken in scope to the last one (or the worktree now). */
  async diff(instance: Instance, sessionID: string, messageID?: string): Promise<FileDiffInfo[]> {
    this.sessions.get(instance, sessionID)
    if (messageID) this.sessions.message(instance, sessionID, messageID)
    const snapshots = this.snapshots
    if (!snapshots) return []
    let from: string | undefined
    let to: string | undefined
    for (const message of this.scope(sessionID, messageID)) {
      for (const part of message.parts) {
        if (part.type === 'step-start' && part.snapshot) from ??= part.snapshot
        if (part.type === 'step-finish' && part.snapshot) to = part.snapshot
      }
    }
    if (!from) return []
    return snapshots.diff(instance, from, to)
  }

  /** After a turn that changed files: `session.summary` counts and `session.diff`. */
  async publishDiff(instance: Instance, sessionID: string): Promise<void> {
    const diff = await this.diff(instance, sessionID)
    this.sessions.update(instance, sessionID, (info) => {
      info.summary = {
        additions: diff.reduce((sum, d) => sum + d.additions, 0),
        deletions: diff.reduce((sum, d) => sum + d.deletions, 0),
        files: diff.length,
      }
    })
    this.kernel.publish(instance, SessionDiff, { sessionID, diff })
  }

  /**
   * Restores the files the session changed from `messageID` (or its part `partID`) on, and marks
   * the session reverted; the messages stay until the next prompt drops them.
   */
  async revert(instance: Instance, sessionID: string, messageID: string, partID?: string): Promise<SessionInfo> {
    const session = this.sessions.get(instance, sessionID)
    const target = this.sessions.message(instance, sessionID, messageID)
    if (partID && !target.parts.some((p) => p.id === partID)) throw new NotFoundError(`Part not found: ${partID}`)
    const patches: SnapshotPatch[] = []
    let started = false
    for (const message of this.sessions.store.allMessages(sessionID)) {
      for (const part of message.parts) {
        if (!started && message.info.id === messageID && (!partID || part.id === partID)) started = true
        if (started && part.type === 'patch') patches.push({ hash: part.hash, files: part.files })
      }
    }
    const snapshots = this.snapshots
    // The state to come back to on unrevert is the one before the first revert.
    const snapshot = session.revert?.snapshot ?? (snapshots ? await snapshots.track(instance) : undefined)
    if (snapshots && session.revert?.snapshot) await snapshots.restore(instance, session.revert.snapshot)
    if (snapshots) await snapshots.revert(instance, patches)
    return this.sessions.update(instance, sessionID, (info) => {
      info.revert = { messageID, ...(partID ? { partID } : {}), ...(snapshot ? { snapshot } : {}) }
    })
  }

  /** Puts the files back as they were before the revert and clears it. */
  async unrevert(instance: Instance, sessionID: string): Promise<SessionInfo> {
    const session = this.sessions.get(instance, sessionID)
    if (!session.revert) return session
    const snapshots = this.snapshots
    if (snapshots && session.revert.snapshot) await snapshots.restore(instance, session.revert.snapshot)
    return this.sessions.update(instance, sessionID, (info) => {
      delete info.revert
    })
  }

  /** Before a new prompt: the reverted messages (and parts) are dropped for good (a v2-staged revert waits for its commit). */
  dropReverted(instance: Instance, sessionID: string): void {
    const session = this.sessions.get(instance, sessionID)
    const revert = session.revert
    if (!revert || isStagedRevert(revert)) return
    for (const message of this.sessions.store.allMessages(sessionID)) {
      if (message.info.id < revert.messageID) continue
      if (message.info.id === revert.messageID && revert.partID) {
        let dropping = false
        for (const part of message.parts) {
          if (part.id === revert.partID) dropping = true
          if (dropping) this.sessions.removePart(instance, sessionID, message.info.id, part.id)
        }
        continue
      }
      this.sessions.removeMessage(instance, sessionID, message.info.id)
    }
    this.sessions.store.entries.deleteFrom(sessionID, revert.messageID)
    this.sessions.update(instance, sessionID, (info) => {
      delete info.revert
    })
  }

  /** A new session with copies (new ids) of the messages before `messageID` (all without it). */
  fork(instance: Instance, sessionID: string, messageID?: string): SessionInfo {
    const source = this.sessions.get(instance, sessionID)
    if (messageID) this.sessions.message(instance, sessionID, messageID)
    const fork = this.sessions.create(instance, {
      title: `${source.title} (fork)`,
      ...(source.permission ? { permission: source.permission } : {}),
    })
    const ids = new Map<string, string>()
    for (const message of this.sessions.store.allMessages(sessionID)) {
      if (messageID && message.info.id >= messageID) break
      const id = ascendingId('msg')
      ids.set(message.info.id, id)
      const info = { ...structuredClone(message.info), id, sessionID: fork.id }
      if (info.role === 'assistant') info.parentID = ids.get(info.parentID) ?? info.parentID
      this.sessions.saveMessage(instance, info)
      for (const part of message.parts) {
        const copy = { ...structuredClone(part), id: ascendingId('prt'), sessionID: fork.id, messageID: id } as Part
        this.sessions.savePart(instance, copy)
      }
    }
    return fork
  }
}
