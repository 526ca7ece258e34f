// v2 revert staging (`/api/session/:id/revert/{stage,clear,commit}`) over the one `session.revert`
// that v1's revert/unrevert also use. A staged revert is stored in v1's shape, so v1 clients show
// it as they show their own: `messageID` is the first message after the v2 boundary (v1 hides
// that message and the ones after it; when there is none yet, an id that sorts after every
// existing message). `boundary` (the kept message) marks it as staged through v2: prompts leave
// it alone, only clear/commit (or v1 unrevert/revert) end it. v1 HTTP answers leave out `boundary`
// and `files`, which their schema does not know (v1 `session.updated` events carry them).
import type { SessionKernel } from '../../index.js'
import type { Static } from 'typebox'
import { ascendingId, type Instance, type PluginApp } from '../../../../sdk/index.js'
import { MessageNotFoundV2 } from '../../errors.js'
import type { PromptAdmission } from '../../loop/admission.js'
import type { SessionInfo } from '../../schemas.js'
import type { SessionHistory } from '../../store/history.js'
import { sessionInstance, storedSession } from '../../store/locate.js'
import type { SessionService } from '../../store/service.js'
import { RevertCleared, RevertCommitted, RevertStaged } from './events.js'
import type { RevertState } from './schemas.js'
import { revertV2View, type StoredRevert } from './views.js'

type RevertStateValue = Static<typeof RevertState>
type RevertFile = NonNullable<RevertStateValue['files']>[number]

let diffModule: Promise<typeof import('diff')> | undefined
/** The `diff` package, loaded on the first stage rather than at start-up. */
const loadDiff = () => (diffModule ??= import('diff'))

/** Stages, clears and commits v2 reverts, one operation at a time per session. */
export class RevertStaging {
  /** Each operation restores and rewrites files: the one running per session, which the next waits for. */
  private readonly running = new Map<string, Promise<unknown>>()

  constructor(
    private readonly app: PluginApp,
    private readonly kernel: SessionKernel,
    private readonly sessions: SessionService,
    private readonly admission: PromptAdmission,
    private readonly history: SessionHistory,
  ) {}

  private get snapshots() {
    return this.app.hasDecorator('snapshots') ? this.app.snapshots : undefined
  }

  /** Runs `work` once the session's previous revert operation has settled. */
  oneAtATime<T>(sessionID: string, work: () => Promise<T>): Promise<T> {
    const running = this.running
    const result = (running.get(sessionID) ?? Promise.resolve()).then(work, work)
    const settled = result.then(
      () => undefined,
      () => undefined,
    )
    running.set(sessionID, settled)
    void settled.then(() => running.get(sessionID) === settled && running.delete(sessionID))
    return result
  }

  /** The session's instance, once it is known and idle (tagged 404 / 409 otherwise). */
  private async idleSession(sessionID: string): Promise<{ info: SessionInfo; instance: Instance }> {
    const store = this.sessions.store
    const { instance } = await sessionInstance(this.kernel, store, sessionID)
    this.admission.assertIdle(instance, sessionID)
    // Read again: another operation may have changed it while the instance opened.
    return { info: storedSession(store, sessionID), instance }
  }

  async stage(sessionID: string, boundary: string, files: boolean): Promise<RevertStateValue> {
    const store = this.sessions.store
    const { info, instance } = await this.idleSession(sessionID)
    if (!store.getMessage(sessionID, boundary)) throw new MessageNotFoundV2(sessionID, boundary)
    const previous = info.revert as StoredRevert | undefined
    const after = store.allMessages(sessionID).filter((message) => message.info.id > boundary)
    let snapshot = previous?.snapshot
    let reverted: RevertFile[] = []
    const service = this.snapshots
    if (files && service) {
      // The state clear comes back to is the one before the first revert; a re-stage starts from it.
      if (snapshot) await service.restore(instance, snapshot)
      else snapshot = await service.track(instance)
      const patches = after.flatMap((message) =>
        message.info.role === 'assistant'
          ? message.parts.flatMap((part) => (part.type === 'patch' ? [{ hash: part.hash, files: part.files }] : []))
          : [],
      )
      await service.revert(instance, patches)
      const now = snapshot ? await service.track(instance) : undefined
      if (snapshot && now) reverted = await this.revertedFiles(instance, now, snapshot)
    }
    const stored: StoredRevert = {
      messageID: after[0]?.info.id ?? ascendingId('msg'),
      ...(snapshot ? { snapshot } : {}),
      diff: reverted.map((file) => file.patch).join(''),
      boundary,
      files: reverted,
    }
    this.sessions.update(instance, sessionID, (next) => {
      next.revert = stored
    })
    const revert = revertV2View(stored)!
    this.kernel.publish(instance, RevertStaged, { sessionID, timestamp: Date.now(), revert })
    return revert
  }

  /** What the revert took away, file by file: from the worktree now to the state before it. */
  private async revertedFiles(instance: Instance, from: string, to: string): Promise<RevertFile[]> {
    const { createTwoFilesPatch } = await loadDiff()
    const diffs = await this.snapshots!.diff(instance, from, to)
    return diffs.map((diff) => ({
      path: diff.file,
      status: diff.status ?? 'modified',
      additions: diff.additions,
      deletions: diff.deletions,
      patch: createTwoFilesPatch(diff.file, diff.file, diff.before, diff.after),
    }))
  }

  async clear(sessionID: string): Promise<void> {
    const { info, instance } = await this.idleSession(sessionID)
    if (!info.revert) return
    await this.history.unrevert(instance, sessionID)
    this.kernel.publish(instance, RevertCleared, { sessionID, timestamp: Date.now() })
  }

  async commit(sessionID: string): Promise<void> {
    const { info, instance } = await this.idleSession(sessionID)
    const revert = info.revert as StoredRevert | undefined
    if (!revert) return
    if (revert.boundary === undefined) {
      // A v1 revert: dropped as the next v1 prompt would drop it.
      this.history.dropReverted(instance, sessionID)
    } else {
      const boundary = revert.boundary
      const store = this.sessions.store
      this.kernel.storage.db.transaction(() => {
        for (const message of store.allMessages(sessionID)) {
          if (message.info.id > boundary) this.sessions.removeMessage(instance, sessionID, message.info.id)
        }
        store.entries.deleteFrom(sessionID, boundary)
        this.sessions.update(instance, sessionID, (next) => {
          delete next.revert
        })
      })()
    }
    this.kernel.publish(instance, RevertCommitted, {
      sessionID,
      timestamp: Date.now(),
      messageID: revert.boundary ?? revert.messageID,
    })
  }
}
