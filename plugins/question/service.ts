import type { QuestionKernel } from './index.js'
import type { Static } from 'typebox'
import { ascendingId, type Instance } from '../../sdk/index.js'
import { QuestionCancelledError, QuestionNotFoundError, QuestionRejectedError } from './errors.js'
import { QuestionAsked, QuestionRejected, QuestionReplied } from './events.js'
import type { FormAnswerValue, FormFieldInfo } from './form/schemas.js'
import type { FormOutcome, FormService } from './form/service.js'
import type { QuestionAnswer, QuestionInfo, QuestionRequest } from './schemas.js'

export type QuestionRequestInfo = Static<typeof QuestionRequest>
export type Answer = Static<typeof QuestionAnswer>
type Question = Static<typeof QuestionInfo>

interface Pending {
  request: QuestionRequestInfo
  formID: string
  /** The answers as a 1.x client gave them (a form answer holds one string per single-choice question). */
  answers?: Answer[]
}

/** The form OpenCode 2.1 shows for the `question` tool's questions: one field `q<i>` per question. */
function questionFields(questions: Question[]): FormFieldInfo[] {
  return questions.map((question, i) => ({
    key: `q${i}`,
    title: question.header,
    description: question.question,
    type: question.multiple ? 'multiselect' : 'string',
    options: question.options.map((option) => ({
      value: option.label,
      label: option.label,
      description: option.description,
    })),
    custom: question.custom ?? true,
  }))
}

/** A 1.x answer (labels per question) as the form's answer. */
function formAnswer(questions: Question[], answers: Answer[]): FormAnswerValue {
  const answer: FormAnswerValue = {}
  questions.forEach((question, i) => {
    const chosen = answers[i] ?? []
    if (chosen.length === 0) return
    answer[`q${i}`] = question.multiple || chosen.length > 1 ? chosen : chosen[0]!
  })
  return answer
}

/** A form's answer as labels per question; an unanswered question has none. */
function questionAnswers(questions: Question[], answer: FormAnswerValue): Answer[] {
  return questions.map((_, i) => {
    const value = answer[`q${i}`]
    if (value === undefined || value === '') return []
    return Array.isArray(value) ? value : [String(value)]
  })
}

/**
 * The questions the `question` tool puts to the user. Each is a form too (OpenCode 2.1), so a
 * 1.x client's reply or rejection and a 2.x client's form reply or cancel settle the same thing.
 */
export class QuestionService {
  constructor(
    private readonly kernel: QuestionKernel,
    private readonly forms: FormService,
  ) {}

  private pending(instance: Instance): Map<string, Pending> {
    return instance.state<Map<string, Pending>>('question.pending', () => new Map())
  }

  /** Publishes `question.asked` and `form.created`; resolves with the answers, rejects when dismissed or aborted. */
  ask(
    instance: Instance,
    input: { sessionID: string; questions: Question[]; tool?: { messageID: string; callID: string } },
    signal: AbortSignal,
  ): Promise<Answer[]> {
    if (signal.aborted) return Promise.reject(new QuestionRejectedError())
    const request: QuestionRequestInfo = {
      id: ascendingId('que'),
      sessionID: input.sessionID,
      questions: input.questions,
      ...(input.tool ? { tool: input.tool } : {}),
    }
    const pending = this.pending(instance)
    return new Promise<Answer[]>((resolve, reject) => {
      const entry: Pending = { request, formID: '' }
      const onAbort = () => {
        try {
          this.forms.cancel(instance, request.sessionID, entry.formID, undefined, 'abort')
        } catch {
          // Settled in the meantime: nothing is left to cancel.
        }
      }
      const onSettle = (outcome: FormOutcome) => {
        signal.removeEventListener('abort', onAbort)
        pending.delete(request.id)
        const { sessionID, id: requestID } = request
        if (outcome.status === 'answered') {
          const answers = entry.answers ?? questionAnswers(request.questions, outcome.answer)
          this.kernel.publish(instance, QuestionReplied, { sessionID, requestID, answers })
          resolve(answers)
          return
        }
        if (outcome.reason !== 'dispose') this.kernel.publish(instance, QuestionRejected, { sessionID, requestID })
        // A 2.x cancel with a message lets the model go on; a plain dismissal stops the loop.
        reject(
          outcome.message !== undefined ? new QuestionCancelledError(outcome.message) : new QuestionRejectedError(),
        )
      }
      const metadata = {
        kind: 'question',
        ...(input.tool ? { tool: { messageID: input.tool.messageID, id: input.tool.callID } } : {}),
      }
      const form = this.forms.create(
        instance,
        { sessionID: request.sessionID, title: 'Questions', metadata, fields: questionFields(request.questions) },
        onSettle,
      )
      entry.formID = form.id
      pending.set(request.id, entry)
      signal.addEventListener('abort', onAbort, { once: true })
      this.kernel.publish(instance, QuestionAsked, request)
    })
  }

  list(instance: Instance): QuestionRequestInfo[] {
    return [...this.pending(instance).values()].map((entry) => entry.request)
  }

  reply(instance: Instance, requestID: string, answers: Answer[]): void {
    const entry = this.entry(instance, requestID)
    entry.answers = answers
    const { sessionID, questions } = entry.request
    this.forms.reply(instance, sessionID, entry.formID, formAnswer(questions, answers), true)
  }

  reject(instance: Instance, requestID: string): void {
    const entry = this.entry(instance, requestID)
    this.forms.cancel(instance, entry.request.sessionID, entry.formID)
  }

  private entry(instance: Instance, requestID: string): Pending {
    const entry = this.pending(instance).get(requestID)
    if (!entry) throw new QuestionNotFoundError(requestID)
    return entry
  }
}
