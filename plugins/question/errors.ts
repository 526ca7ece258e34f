import { NamedError, TaggedError } from '../../sdk/index.js'

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

export class FormNotFoundError extends TaggedError {
  constructor(id: string) {
    super('FormNotFoundError', 404, `Form not found: ${id}`, { id })
  }
}

export class FormAlreadySettledError extends TaggedError {
  constructor(id: string) {
    super('FormAlreadySettledError', 409, `Form already settled: ${id}`, { id })
  }
}

export class FormInvalidAnswerError extends TaggedError {
  constructor(id: string, message: string) {
    super('FormInvalidAnswerError', 400, message, { id })
  }
}

/** A form the `question` tool asked was cancelled with a message: the tool fails with it and the loop goes on. */
export class QuestionCancelledError extends NamedError {
  constructor(message: string) {
    super('QuestionCancelledError', 409, { message })
  }
}
