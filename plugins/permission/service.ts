import type { PermissionKernel } from './index.js'
import type { FastifyInstance } from 'fastify'
import { ConflictError, ascendingId, type Instance, type PermissionAsk } from '../../sdk/index.js'
import { triggerHook } from '../../sdk/hooks.js'
import { evaluatePermission } from '../../sdk/permission.js'
import type { PermissionRule } from '../agent/types.js'
import type { InterruptedCallHold, PermissionGate, PermissionGateRequest } from '../session/types.js'
import {
  PermissionCancelledError,
  PermissionNotFoundError,
  PermissionRejectedError,
  PermissionSavedNotFoundError,
} from './errors.js'
import { PermissionAsked, PermissionReplied } from './events.js'
import type { PermissionReply } from './schemas.js'
import type { SavedPermission, SavedPermissionStore } from './saved-store.js'
import type { PermissionRequestInfo, PermissionStore } from './store.js'
import type { PermissionRequestsApi } from './types.js'

interface Waiter {
  instance: Instance
  rules: PermissionRule[]
  resolve(): void
  reject(error: Error): void
}

/** Approvals are per project; directories outside git each count as their own project. */
function projectKey(instance: Instance): string {
  return instance.project.id === 'global' ? `global:${instance.directory}` : instance.project.id
}

function callKey(sessionID: string, callID: string): string {
  return `${sessionID}\u0000${callID}`
}

/**
 * The permission service: the session runner's `permissionGate`. An `ask` becomes a stored
 * request and a `permission.asked` event; the call waits for a reply. Requests outlive a restart:
 * the call they came from is held by the session plugin and re-run (or failed) on the reply.
 */
export class PermissionService implements PermissionGate, InterruptedCallHold, PermissionRequestsApi {
  // Kept by the kernel, so a dev-mode reload of this plugin still answers the calls waiting now.
  private readonly waiters: Map<string, Waiter>
  /** Answers given after a restart, consumed when the re-run call asks the same again. */
  private readonly grants: Map<string, PermissionAsk[]>
  private readonly approvals: Map<string, PermissionRule[]>
  /** Calls of stored requests that the session plugin holds for us after a restart. */
  private readonly heldCalls: Set<string>

  constructor(
    private readonly app: FastifyInstance,
    private readonly kernel: PermissionKernel,
    private readonly store: PermissionStore,
    private readonly savedStore: SavedPermissionStore,
  ) {
    this.waiters = kernel.keep('permission.waiters', () => new Map())
    this.grants = kernel.keep('permission.grants', () => new Map())
    this.approvals = kernel.keep('permission.approvals', () => new Map())
    this.heldCalls = kernel.keep('permission.heldCalls', () => new Set())
  }

  private approved(instance: Instance): PermissionRule[] {
    const key = projectKey(instance)
    let rules = this.approvals.get(key)
    if (!rules) this.approvals.set(key, (rules = this.savedStore.rules(key)))
    return rules
  }

  /** Whether the rules plus the project's approvals allow every pattern. */
  private allowed(instance: Instance, rules: PermissionRule[], permission: string, patterns: string[]): boolean {
    const all = [...rules, ...this.approved(instance)]
    return patterns.every((pattern) => evaluatePermission(all, permission, pattern).action === 'allow')
  }

  private takeGrant(request: PermissionGateRequest): boolean {
    const key = callKey(request.sessionID, request.callID)
    const grants = this.grants.get(key)
    const index =
      grants?.findIndex(
        (g) => g.permission === request.permission && request.patterns.every((p) => g.patterns.includes(p)),
      ) ?? -1
    if (index < 0) return false
    grants!.splice(index, 1)
    if (!grants!.length) this.grants.delete(key)
    return true
  }

  async ask(instance: Instance, request: PermissionGateRequest, signal: AbortSignal): Promise<void> {
    if (this.takeGrant(request)) return
    if (this.allowed(instance, request.rules, request.permission, request.patterns)) return
    if (signal.aborted) throw new PermissionCancelledError()
    const info: PermissionRequestInfo = {
      id: ascendingId('per'),
      sessionID: request.sessionID,
      permission: request.permission,
      patterns: request.patterns,
      metadata: request.metadata ?? {},
      always: request.always ?? request.patterns,
      tool: { messageID: request.messageID, callID: request.callID },
    }
    // OpenCode plugins' `permission.ask` decides before the user is asked (`allow`, `deny`, or `ask`).
    const { status } = await triggerHook(
      this.kernel,
      instance,
      'permission.ask',
      {
        ...info,
        type: info.permission,
        messageID: request.messageID,
        callID: request.callID,
        time: { created: Date.now() },
      },
      { status: 'ask' },
    )
    if (status === 'allow') return
    if (status === 'deny') throw new PermissionRejectedError()
    this.store.insert(instance.directory, info)
    return new Promise<void>((resolve, reject) => {
      // A request waiting on the user keeps the instance out of LRU eviction.
      const unpin = instance.pin(`permission ${info.id}`)
      const onAbort = () => {
        unpin()
        if (!this.waiters.delete(info.id)) return
        this.store.remove(info.id)
        this.kernel.publish(instance, PermissionReplied, {
          sessionID: info.sessionID,
          requestID: info.id,
          reply: 'reject',
        })
        reject(new PermissionCancelledError())
      }
      const settle = (fn: () => void) => () => {
        unpin()
        signal.removeEventListener('abort', onAbort)
        fn()
      }
      this.waiters.set(info.id, {
        instance,
        rules: request.rules,
        resolve: settle(resolve),
        reject: (error) => settle(() => reject(error))(),
      })
      signal.addEventListener('abort', onAbort, { once: true })
      this.kernel.publish(instance, PermissionAsked, info)
    })
  }

  list(instance: Instance): PermissionRequestInfo[] {
    return this.store.list(instance.directory)
  }

  /**
   * A request a client makes itself (v2): evaluated against `rules` plus the project's approvals
   * (last match wins, the strictest pattern decides); only `ask` leaves a pending request, which
   * nothing waits on: its reply is the answer.
   */
  open(
    instance: Instance,
    request: Omit<PermissionRequestInfo, 'id'> & { id?: string },
    rules: PermissionRule[],
  ): { id: string; effect: 'allow' | 'deny' | 'ask' } {
    const id = request.id ?? ascendingId('per')
    if (this.store.get(id)) throw new ConflictError(`Permission request already exists: ${id}`, { resource: id })
    const all = [...rules, ...this.approved(instance)]
    const effects = request.patterns.map((pattern) => evaluatePermission(all, request.permission, pattern).action)
    const effect = effects.includes('deny') ? 'deny' : effects.includes('ask') || effects.length === 0 ? 'ask' : 'allow'
    if (effect !== 'ask') return { id, effect }
    const info: PermissionRequestInfo = { ...request, id }
    this.store.insert(instance.directory, info)
    this.kernel.publish(instance, PermissionAsked, info)
    return { id, effect }
  }

  /** What `always` replies saved, of one project (its id, as requests name it) or of all. */
  saved(project?: string): SavedPermission[] {
    return this.savedStore.list(project)
  }

  /** Changes what a saved permission allows; 409 when the project already saves that. */
  updateSaved(id: string, change: { permission?: string; pattern?: string }): SavedPermission {
    const saved = this.savedStore.get(id)
    if (!saved) throw new PermissionSavedNotFoundError(id)
    const permission = change.permission ?? saved.permission
    const pattern = change.pattern ?? saved.pattern
    const clash = this.savedStore.find(saved.project, permission, pattern)
    if (clash && clash.id !== id)
      throw new ConflictError(`A saved permission already allows ${permission} for ${pattern}`, { resource: id })
    this.savedStore.update(id, permission, pattern)
    this.approvals.delete(saved.project)
    return this.savedStore.get(id)!
  }

  /** Forgets a saved permission; later calls ask again. */
  removeSaved(id: string): void {
    const removed = this.savedStore.remove(id)
    if (removed) this.approvals.delete(removed.project)
  }

  cancelSession(instance: Instance, sessionID: string): number {
    let cancelled = 0
    for (const request of this.store.bySession(sessionID)) {
      // A request a client made itself is nobody's call: it stays, as in OpenCode 2.1.
      if (!request.tool || !this.store.remove(request.id)) continue
      cancelled++
      this.kernel.publish(instance, PermissionReplied, { sessionID, requestID: request.id, reply: 'reject' })
      const waiter = this.waiters.get(request.id)
      this.waiters.delete(request.id)
      waiter?.reject(new PermissionCancelledError())
    }
    return cancelled
  }

  /** Answers a request of this instance; unknown ids (or another directory's) are a 404. */
  reply(instance: Instance, requestID: string, reply: PermissionReply, message?: string, sessionID?: string): void {
    const stored = this.store.get(requestID)
    if (
      !stored ||
      stored.directory !== instance.directory ||
      (sessionID !== undefined && stored.request.sessionID !== sessionID)
    ) {
      throw new PermissionNotFoundError(requestID)
    }
    const { request } = stored
    this.settle(instance, request, reply, message)
    if (reply === 'always') {
      // Other requests of the session that the new approvals now cover are answered too.
      for (const other of this.store.bySession(request.sessionID)) {
        const rules = this.waiters.get(other.id)?.rules ?? []
        if (this.allowed(instance, rules, other.permission, other.patterns)) this.settle(instance, other, 'always')
      }
    } else if (reply === 'reject' && message === undefined) {
      // The loop stops, so nothing else the session waits on can be wanted.
      for (const other of this.store.bySession(request.sessionID)) this.settle(instance, other, 'reject')
    }
  }

  private settle(instance: Instance, request: PermissionRequestInfo, reply: PermissionReply, message?: string): void {
    if (!this.store.remove(request.id)) return
    if (reply === 'always') {
      this.savedStore.save(projectKey(instance), request.permission, request.always)
      this.approvals.delete(projectKey(instance))
    }
    this.kernel.publish(instance, PermissionReplied, { sessionID: request.sessionID, requestID: request.id, reply })
    const waiter = this.waiters.get(request.id)
    this.waiters.delete(request.id)
    if (waiter) {
      if (reply === 'reject') waiter.reject(new PermissionRejectedError(message))
      else waiter.resolve()
      return
    }
    // No call waits in this process: the server restarted since the request was made.
    const tool = request.tool
    if (!tool || !this.heldCalls.delete(callKey(request.sessionID, tool.callID))) return
    if (reply === 'reject') {
      const error = new PermissionRejectedError(message)
      this.app.sessions.resumeTool(instance, request.sessionID, tool.messageID, tool.callID, {
        run: false,
        error: error.message,
        stop: message === undefined,
      })
      return
    }
    const key = callKey(request.sessionID, tool.callID)
    this.grants.set(key, [
      ...(this.grants.get(key) ?? []),
      { permission: request.permission, patterns: request.patterns },
    ])
    this.app.sessions.resumeTool(instance, request.sessionID, tool.messageID, tool.callID, { run: true })
  }

  // InterruptedCallHold: the session plugin asks at start-up which running calls are ours.
  holds(part: { sessionID: string; callID: string }): boolean {
    const held = this.store.byCall(part.sessionID, part.callID).length > 0
    if (held) this.heldCalls.add(callKey(part.sessionID, part.callID))
    return held
  }

  released(instance: Instance, sessionID: string, callID: string): void {
    this.heldCalls.delete(callKey(sessionID, callID))
    for (const { request } of this.store.byCall(sessionID, callID)) {
      if (this.store.remove(request.id))
        this.kernel.publish(instance, PermissionReplied, { sessionID, requestID: request.id, reply: 'reject' })
    }
  }

  /** Drops stored requests whose call is gone (its session deleted, or it ended before the restart); of one instance if given. */
  pruneOrphans(directory?: string): void {
    for (const row of this.store.all(directory)) {
      if (!row.callID || !this.heldCalls.has(callKey(row.sessionID, row.callID))) this.store.remove(row.id)
    }
  }
}
