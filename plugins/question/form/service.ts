import type { QuestionKernel } from '../index.js'
import { ConflictError, ascendingId, type Instance } from '../../../sdk/index.js'
import { FormAlreadySettledError, FormInvalidAnswerError, FormNotFoundError } from '../errors.js'
import { FormCancelled, FormCreated, FormReplied } from '../events.js'
import type { FormApi } from '../types.js'
import { answerError } from './answers.js'
import { checkFields } from './fields.js'
import type { FormAnswerValue, FormDetailValue, FormFieldInfo, FormInfoValue, FormStateValue } from './schemas.js'

/** How a form ended, for whoever waits on it; `dispose`: its instance went away (no event). */
export type FormOutcome =
  | { status: 'answered'; answer: FormAnswerValue }
  | { status: 'cancelled'; message?: string; reason: 'client' | 'abort' | 'dispose' }

export interface FormInput {
  id?: string
  sessionID: string
  title: string
  metadata?: object
  fields: FormFieldInfo[]
}

interface FormRecord {
  info: FormInfoValue
  state: FormStateValue
  /** The asker waiting on the form (the `question` tool); called once, when it settles. */
  onSettle?: (outcome: FormOutcome) => void
  unpin?: () => void
}

interface InstanceForms {
  records: Map<string, FormRecord>
  /** Settled forms' ids, oldest first: their state stays readable until MAX_SETTLED newer ones. */
  settled: string[]
}

const MAX_SETTLED = 1000

/**
 * OpenCode 2.1's forms, per instance and in memory (as questions always were): pending ones keep
 * the instance from eviction; settled ones keep their state for `GET …/form/{id}`.
 */
export class FormService implements FormApi {
  constructor(private readonly kernel: Pick<QuestionKernel, 'publish'>) {}

  private forms(instance: Instance): InstanceForms {
    return instance.state<InstanceForms>(
      'question.forms',
      () => ({ records: new Map(), settled: [] }),
      (forms) => {
        for (const record of forms.records.values()) {
          if (record.state.status === 'pending') this.settle(forms, record, { status: 'cancelled', reason: 'dispose' })
        }
      },
    )
  }

  /** Makes a pending form and publishes `form.created`; `onSettle` hears how it ends. */
  create(instance: Instance, input: FormInput, onSettle?: (outcome: FormOutcome) => void): FormInfoValue {
    const forms = this.forms(instance)
    const id = input.id ?? ascendingId('frm')
    if (forms.records.has(id)) throw new ConflictError(`Form already exists: ${id}`, { resource: id })
    const info: FormInfoValue = {
      id,
      sessionID: input.sessionID,
      title: input.title,
      ...(input.metadata ? { metadata: input.metadata } : {}),
      fields: checkFields(input.fields),
    }
    forms.records.set(id, { info, state: { status: 'pending' }, onSettle, unpin: instance.pin(`form ${id}`) })
    this.kernel.publish(instance, FormCreated, { form: info })
    return info
  }

  /** Pending forms of the instance, or of one session, oldest first. */
  pending(instance: Instance, sessionID?: string): FormInfoValue[] {
    const out: FormInfoValue[] = []
    for (const record of this.forms(instance).records.values()) {
      if (record.state.status === 'pending' && (sessionID === undefined || record.info.sessionID === sessionID))
        out.push(record.info)
    }
    return out
  }

  get(instance: Instance, sessionID: string, id: string): FormDetailValue {
    const record = this.record(instance, sessionID, id)
    return { ...record.info, state: record.state }
  }

  /** Answers a pending form; the answer is checked against its fields unless `trusted`. */
  reply(instance: Instance, sessionID: string, id: string, answer: FormAnswerValue, trusted = false): void {
    const forms = this.forms(instance)
    const record = this.pendingRecord(instance, sessionID, id)
    const error = trusted ? undefined : answerError(record.info.fields, answer)
    if (error) throw new FormInvalidAnswerError(id, error)
    this.kernel.publish(instance, FormReplied, { id, sessionID, answer })
    this.settle(forms, record, { status: 'answered', answer })
  }

  cancel(
    instance: Instance,
    sessionID: string,
    id: string,
    message?: string,
    reason: 'client' | 'abort' = 'client',
  ): void {
    const forms = this.forms(instance)
    const record = this.pendingRecord(instance, sessionID, id)
    this.kernel.publish(instance, FormCancelled, { id, sessionID })
    this.settle(forms, record, { status: 'cancelled', reason, ...(message !== undefined ? { message } : {}) })
  }

  cancelSession(instance: Instance, sessionID: string): number {
    const asked = [...this.forms(instance).records.values()].filter(
      (record) => record.state.status === 'pending' && record.info.sessionID === sessionID && record.onSettle,
    )
    for (const record of asked) this.cancel(instance, sessionID, record.info.id, undefined, 'abort')
    return asked.length
  }

  private record(instance: Instance, sessionID: string, id: string): FormRecord {
    const record = this.forms(instance).records.get(id)
    if (!record || record.info.sessionID !== sessionID) throw new FormNotFoundError(id)
    return record
  }

  private pendingRecord(instance: Instance, sessionID: string, id: string): FormRecord {
    const record = this.record(instance, sessionID, id)
    if (record.state.status !== 'pending') throw new FormAlreadySettledError(id)
    return record
  }

  private settle(forms: InstanceForms, record: FormRecord, outcome: FormOutcome): void {
    record.state =
      outcome.status === 'answered'
        ? { status: 'answered', answer: outcome.answer }
        : { status: 'cancelled', ...(outcome.message !== undefined ? { message: outcome.message } : {}) }
    record.unpin?.()
    forms.settled.push(record.info.id)
    if (forms.settled.length > MAX_SETTLED) forms.records.delete(forms.settled.shift()!)
    record.onSettle?.(outcome)
  }
}
