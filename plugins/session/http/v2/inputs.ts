import type { SessionKernel } from '../../index.js'
import { basename, extname } from 'node:path'
import { ascendingId, type Instance, type SqliteDatabase } from '../../../../sdk/index.js'
import { PromptConflictError } from '../../errors.js'
import type { PreparedPrompt, PromptAdmission } from '../../loop/admission.js'
import type { PartInput, PromptInput } from '../../prompt-schemas.js'
import type { SessionService } from '../../store/service.js'
import { PromptAdmitted, type DeliveryMode, type PromptView } from './events.js'
import { InboxCancelled, InboxDelivered, InboxDeliveryChanged, InboxEnqueued } from '../v21/events.js'

/** The prompt a v2 client sends (`POST /api/session/:id/prompt`). */
export interface PromptRequest {
  text: string
  files?: { uri: string; name?: string; description?: string; source?: unknown }[]
  agents?: { name: string; source?: unknown }[]
  /** 2.1's synthetic input: the text reaches the model as a synthetic part (its transcript shows a `synthetic` message). */
  synthetic?: { description?: string }
}

/** What `POST …/prompt` answers: the input as admitted (and once promoted, where it joined). */
export interface InputReceipt {
  admittedSeq: number
  id: string
  sessionID: string
  prompt: PromptView
  delivery: DeliveryMode
  timeCreated: number
  promotedSeq?: number
}

interface InputRow {
  id: string
  session_id: string
  data: string
  time_created: number
  admitted_seq: number
  promoted_seq: number | null
}

interface StoredInput {
  request: PromptRequest
  prompt: PromptView
  delivery: DeliveryMode
  /** The payload of its 2.1 inbox item (files inlined), for inputs sent by 2.1 clients. */
  payload?: Record<string, unknown>
}

/** A pending (or delivered) input as 2.1's `Session.Inbox.User`. */
export interface InboxItem {
  id: string
  sessionID: string
  time: { created: number }
  type: 'user' | 'synthetic'
  payload: Record<string, unknown>
  delivery: DeliveryMode
}

/** What a prompt asks: 1.18's body (`strict`: the same id must carry the same prompt) or 2.1's. */
export interface AdmitRequest {
  id?: string
  prompt: PromptRequest
  delivery?: DeliveryMode
  resume?: boolean
  /** 2.1's inbox payload; absent for 1.18's prompts. */
  payload?: Record<string, unknown>
}

const MIME: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.pdf': 'application/pdf',
  '.md': 'text/markdown',
  '.json': 'application/json',
  '.html': 'text/html',
}

/** The mime of an attached file: a `data:` URL says it; else from the name, text by default. */
export function inferMime(uri: string): string {
  const data = /^data:([^;,]+)/.exec(uri)
  if (data) return data[1]!
  if (uri.endsWith('/')) return 'application/x-directory'
  return MIME[extname(uri.split(/[?#]/)[0]!).toLowerCase()] ?? 'text/plain'
}

/** The v1 prompt (parts) of a v2 prompt: its text, files and agents, as v1 clients see them. */
function partsOf(request: PromptRequest): PartInput[] {
  const synthetic = request.synthetic
  const parts: PartInput[] = [
    synthetic
      ? { type: 'text', text: request.text, synthetic: true, metadata: { synthetic: true, ...synthetic } }
      : { type: 'text', text: request.text },
  ]
  for (const file of request.files ?? []) {
    parts.push({
      type: 'file',
      url: file.uri,
      mime: inferMime(file.uri),
      filename: file.name ?? (basename(file.uri.split(/[?#]/)[0]!) || file.uri.slice(0, 100)),
    })
  }
  for (const agent of request.agents ?? []) parts.push({ type: 'agent', name: agent.name })
  return parts
}

function viewOf(request: PromptRequest): PromptView {
  return {
    text: request.text,
    ...(request.files?.length
      ? {
          files: request.files.map((file) => ({
            uri: file.uri,
            mime: inferMime(file.uri),
            ...(file.name ? { name: file.name } : {}),
          })),
        }
      : {}),
    ...(request.agents?.length ? { agents: request.agents.map((agent) => ({ name: agent.name })) } : {}),
  }
}

/**
 * v2 inputs: each prompt is admitted durably at once (`session.next.prompt.admitted`, its seq in
 * the receipt) and joins the conversation later (`promoted`: stored as a user message,
 * `session.next.prompted`), at the loop's next step boundary (`steer`) or as a turn of its own
 * (`queue`). Inputs sent with `resume: false`, and those an interrupt left waiting, stay pending
 * here until a later prompt resumes the session.
 */
export class SessionInputs {
  private readonly statements
  /** Pending inputs handed to a session's running loop (the rest are parked). */
  private readonly scheduled = new Map<string, Set<string>>()

  constructor(
    db: SqliteDatabase,
    private readonly kernel: SessionKernel,
    private readonly sessions: SessionService,
    private readonly admission: PromptAdmission,
  ) {
    this.statements = {
      get: db.prepare<[string], InputRow>(
        'SELECT id, session_id, data, time_created, admitted_seq, promoted_seq FROM session_input WHERE id = ?',
      ),
      pending: db.prepare<[string], InputRow>(
        'SELECT id, session_id, data, time_created, admitted_seq, promoted_seq FROM session_input WHERE session_id = ? AND pending = 1 ORDER BY seq',
      ),
      // `seq`: the next in the session (the session id is bound twice).
      insert: db.prepare<[string, string, string, string, number, number]>(
        'INSERT INTO session_input (id, seq, session_id, data, time_created, admitted_seq) VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM session_input WHERE session_id = ?), ?, ?, ?, ?)',
      ),
      promote: db.prepare<[number, string]>('UPDATE session_input SET pending = 0, promoted_seq = ? WHERE id = ?'),
      cancel: db.prepare<[string]>('UPDATE session_input SET pending = 0 WHERE id = ?'),
      update: db.prepare<[string, string]>('UPDATE session_input SET data = ? WHERE id = ?'),
      isPending: db.prepare<[string], { id: string }>('SELECT id FROM session_input WHERE id = ? AND pending = 1'),
    }
    // A loop that stops (done or interrupted) lets go of what it had not promoted: parked again.
    admission.onStopped((sessionID) => this.scheduled.delete(sessionID))
  }

  /**
   * Admits one input. The same `id` with the same prompt answers the first receipt (and resumes
   * the session); another prompt, delivery or session under that id is a conflict.
   */
  async admit(instance: Instance, sessionID: string, body: AdmitRequest): Promise<InputReceipt> {
    const delivery = body.delivery ?? 'steer'
    if (body.id) {
      const existing = this.statements.get.get(body.id)
      if (existing) {
        const stored = JSON.parse(existing.data) as StoredInput
        // 2.1 answers the original input whatever the re-post says; 1.18 wanted the same prompt.
        const differs =
          !body.payload &&
          (stored.delivery !== delivery || JSON.stringify(stored.request) !== JSON.stringify(body.prompt))
        if (existing.session_id !== sessionID || differs) throw new PromptConflictError(body.id)
        if (body.resume !== false) await this.resume(instance, sessionID)
        return this.receipt(this.statements.get.get(body.id)!)
      }
      if (this.sessions.store.hasMessageID(body.id)) throw new PromptConflictError(body.id)
    }
    const id = body.id ?? ascendingId('msg')
    // Checked now (agent, model, files), so a bad input is a 400 before anything is stored.
    const prepared = await this.prepare(instance, sessionID, id, body.prompt, delivery)
    // The awaits above may have let the same id in.
    if (this.statements.get.get(id)) throw new PromptConflictError(id)
    const now = Date.now()
    const stored: StoredInput = {
      request: body.prompt,
      prompt: viewOf(body.prompt),
      delivery,
      ...(body.payload ? { payload: body.payload } : {}),
    }
    const event = this.kernel.publish(instance, PromptAdmitted, {
      timestamp: now,
      sessionID,
      messageID: id,
      prompt: stored.prompt,
      delivery,
    })
    this.statements.insert.run(id, sessionID, sessionID, JSON.stringify(stored), now, event.durable?.seq ?? 0)
    const item = this.item(id)!
    this.kernel.publish(instance, InboxEnqueued, {
      timestamp: now,
      sessionID,
      inboxID: id,
      item: { type: item.type, payload: item.payload, delivery },
    })
    if (body.resume !== false) {
      // Inputs parked earlier go first, in the order they were admitted.
      const parked = this.statements.pending
        .all(sessionID)
        .filter((row) => row.id !== id && !this.isScheduled(sessionID, row.id))
      const earlier = await this.prepareAll(instance, sessionID, parked)
      this.schedule(instance, sessionID, [...earlier, { id, prepared, delivery }])
    }
    return this.receipt(this.statements.get.get(id)!)
  }

  /** Hands every parked input of the session to its loop (a resuming prompt, an idempotent re-post). */
  async resume(instance: Instance, sessionID: string, only?: DeliveryMode): Promise<void> {
    const parked = this.statements.pending
      .all(sessionID)
      .filter((row) => !this.isScheduled(sessionID, row.id))
      .filter((row) => !only || (JSON.parse(row.data) as StoredInput).delivery === only)
    this.schedule(instance, sessionID, await this.prepareAll(instance, sessionID, parked))
  }

  private isScheduled(sessionID: string, id: string): boolean {
    return this.scheduled.get(sessionID)?.has(id) ?? false
  }

  private schedule(
    instance: Instance,
    sessionID: string,
    inputs: { id: string; prepared: PreparedPrompt; delivery: DeliveryMode }[],
  ): void {
    if (!inputs.length) return
    let set = this.scheduled.get(sessionID)
    if (!set) this.scheduled.set(sessionID, (set = new Set()))
    for (const input of inputs) set.add(input.id)
    this.admission.schedule(
      instance,
      sessionID,
      inputs.map(({ id, prepared, delivery }) => ({
        prepared,
        delivery,
        inputID: id,
        promoted: () => {
          this.scheduled.get(sessionID)?.delete(id)
          this.statements.promote.run(prepared.promotedSeq ?? 0, id)
          this.kernel.publish(instance, InboxDelivered, { timestamp: Date.now(), sessionID, inboxID: id })
        },
      })),
    )
  }

  private async prepareAll(instance: Instance, sessionID: string, rows: InputRow[]) {
    const prepared: { id: string; prepared: PreparedPrompt; delivery: DeliveryMode }[] = []
    for (const row of rows) {
      const stored = JSON.parse(row.data) as StoredInput
      try {
        prepared.push({
          id: row.id,
          prepared: await this.prepare(instance, sessionID, row.id, stored.request, stored.delivery),
          delivery: stored.delivery,
        })
      } catch (error) {
        // A file it named went away, say: it stays parked, and the others go on.
        this.kernel.log.warn({ err: error, sessionID, inputID: row.id }, 'a pending input cannot join')
      }
    }
    return prepared
  }

  private prepare(
    instance: Instance,
    sessionID: string,
    id: string,
    request: PromptRequest,
    delivery: DeliveryMode,
  ): Promise<PreparedPrompt> {
    const session = this.sessions.get(instance, sessionID)
    const input: PromptInput = {
      messageID: id,
      parts: partsOf(request),
      ...(session.agent ? { agent: session.agent } : {}),
      ...(session.model ? { model: { providerID: session.model.providerID, modelID: session.model.id } } : {}),
      ...(session.model?.variant && session.model.variant !== 'default' ? { variant: session.model.variant } : {}),
    }
    return this.admission.prepare(instance, sessionID, input, delivery)
  }

  /** The input as 2.1's inbox item (undefined when there is none). */
  item(id: string): InboxItem | undefined {
    const row = this.statements.get.get(id)
    if (!row) return undefined
    const stored = JSON.parse(row.data) as StoredInput
    const { text, files, agents } = stored.prompt
    return {
      id: row.id,
      sessionID: row.session_id,
      time: { created: row.time_created },
      type: stored.request.synthetic ? 'synthetic' : 'user',
      payload: stored.payload ?? {
        text,
        ...(files
          ? {
              files: files.map(({ uri, mime, name }) => ({
                data: '',
                mime,
                source: { type: 'uri', uri },
                ...(name ? { name } : {}),
              })),
            }
          : {}),
        ...(agents ? { agents } : {}),
      },
      delivery: stored.delivery,
    }
  }

  /** The session's pending inputs (its inbox), in the order they were admitted. */
  pending(sessionID: string): InboxItem[] {
    return this.statements.pending.all(sessionID).map((row) => this.item(row.id)!)
  }

  /** Cancels a pending input: it will not join. False when it was not pending (or not this session's). */
  cancel(instance: Instance, sessionID: string, id: string): boolean {
    const row = this.statements.get.get(id)
    if (!row || row.session_id !== sessionID || !this.isPendingRow(id)) return false
    this.admission.withdraw(instance, sessionID, id)
    this.scheduled.get(sessionID)?.delete(id)
    this.statements.cancel.run(id)
    this.kernel.publish(instance, InboxCancelled, { timestamp: Date.now(), sessionID, inboxID: id })
    return true
  }

  /** Changes how a pending input joins; it is scheduled again (so a steer wakes an idle session). */
  async changeDelivery(instance: Instance, sessionID: string, id: string, delivery: DeliveryMode): Promise<boolean> {
    const row = this.statements.get.get(id)
    if (!row || row.session_id !== sessionID || !this.isPendingRow(id)) return false
    this.admission.withdraw(instance, sessionID, id)
    this.scheduled.get(sessionID)?.delete(id)
    const stored = JSON.parse(row.data) as StoredInput
    this.statements.update.run(JSON.stringify({ ...stored, delivery }), id)
    this.kernel.publish(instance, InboxDeliveryChanged, { timestamp: Date.now(), sessionID, inboxID: id, delivery })
    await this.resume(instance, sessionID)
    return true
  }

  private isPendingRow(id: string): boolean {
    return this.statements.isPending.get(id) !== undefined
  }

  private receipt(row: InputRow): InputReceipt {
    const stored = JSON.parse(row.data) as StoredInput
    return {
      admittedSeq: row.admitted_seq,
      id: row.id,
      sessionID: row.session_id,
      prompt: stored.prompt,
      delivery: stored.delivery,
      timeCreated: row.time_created,
      ...(row.promoted_seq !== null ? { promotedSeq: row.promoted_seq } : {}),
    }
  }
}
