import type { QuestionKernel } from './index.js'
import type { Static } from 'typebox'
import { ascendingId, type Instance } from '../../sdk/index.js'
import { QuestionNotFoundError, QuestionRejectedError } from './errors.js'
import { QuestionAsked, QuestionRejected, QuestionReplied } from './events.js'
import type { QuestionAnswer, QuestionInfo, QuestionRequest } from './schemas.js'

export type QuestionRequestInfo = Static<typeof QuestionRequest>
export type Answer = Static<typeof QuestionAnswer>

interface Pending {
  request: QuestionRequestInfo
  resolve(answers: Answer[]): void
  reject(error: Error): void
}

/** Questions a tool put to the user, per instance, waiting for a reply or a rejection. */
export class QuestionService {
  constructor(private readonly kernel: QuestionKernel) {}

  private pending(instance: Instance): Map<string, Pending> {
    return instance.state<Map<string, Pending>>(
      'question.pending',
      () => new Map(),
      (pending) => {
        for (const entry of pending.values()) entry.reject(new QuestionRejectedError())
        pending.clear()
      },
    )
  }

  /** Publishes `question.asked` and resolves with the answers; an abort rejects it. */
  ask(
    instance: Instance,
    input: {
      sessionID: string
      questions: Static<typeof QuestionInfo>[]
      tool?: { messageID: string; callID: string }
    },
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
      // A question waiting on the user keeps the instance out of LRU eviction.
      const unpin = instance.pin(`question ${request.id}`)
      const onAbort = () => {
        unpin()
        if (pending.delete(request.id))
          this.kernel.publish(instance, QuestionRejected, { sessionID: request.sessionID, requestID: request.id })
        reject(new QuestionRejectedError())
      }
      const done = () => {
        unpin()
        signal.removeEventListener('abort', onAbort)
      }
      pending.set(request.id, {
        request,
        resolve: (answers) => {
          done()
          resolve(answers)
        },
        reject: (error) => {
          done()
          reject(error)
        },
      })
      signal.addEventListener('abort', onAbort, { once: true })
      this.kernel.publish(instance, QuestionAsked, request)
    })
  }

  list(instance: Instance): QuestionRequestInfo[] {
    return [...this.pending(instance).values()].map((entry) => entry.request)
  }

  reply(instance: Instance, requestID: string, answers: Answer[]): void {
    const entry = this.take(instance, requestID)
    this.kernel.publish(instance, QuestionReplied, { sessionID: entry.request.sessionID, requestID, answers })
    entry.resolve(answers)
  }

  reject(instance: Instance, requestID: string): void {
    const entry = this.take(instance, requestID)
    this.kernel.publish(instance, QuestionRejected, { sessionID: entry.request.sessionID, requestID })
    entry.reject(new QuestionRejectedError())
  }

  private take(instance: Instance, requestID: string): Pending {
    const pending = this.pending(instance)
    const entry = pending.get(requestID)
    if (!entry) throw new QuestionNotFoundError(requestID)
    pending.delete(requestID)
    return entry
  }
}
