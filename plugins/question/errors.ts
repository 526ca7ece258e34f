import { NamedError } from '../../sdk/index.js'

export class QuestionNotFoundError extends NamedError {
  constructor(requestID: string) {
    super('QuestionNotFoundError', 404, { message: `Question not found: ${requestID}`, requestID })
  }
}

/** The user dismissed the questions: the tool fails and the loop stops (`stop`, read by the session runner). */
export class QuestionRejectedError extends NamedError {
  constructor() {
    super('QuestionRejectedError', 409, { message: 'The user dismissed this question', stop: true })
  }
}
