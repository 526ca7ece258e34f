// The session plugin's errors: v1 ones are `NamedError`s (`{name, data}`), v2 (`/api/session…`)
// ones `TaggedError`s (`{_tag, message, …}`), each with its status code.
import { NamedError, NotFoundError, TaggedError } from '../../sdk/index.js'
import type { PermissionRule } from '../agent/types.js'

export class SessionNotFoundError extends NotFoundError {
  constructor(sessionID: string) {
    super(`Session not found: ${sessionID}`)
  }
}

/** What changes a session while it runs (revert, shell, deleting a message...) answers: 409. */
export class SessionBusyError extends NamedError {
  constructor(sessionID: string) {
    super('SessionBusyError', 409, { message: `Session is busy: ${sessionID}`, sessionID })
  }
}

/** Work queued for a turn of its own (a summary) that an abort dropped before it started: 409. */
export class QueuedWorkAbortedError extends NamedError {
  constructor(sessionID: string) {
    super('MessageAbortedError', 409, { message: `Aborted before it started: ${sessionID}`, sessionID })
  }
}

export class MessageNotFoundError extends NotFoundError {
  constructor(messageID: string) {
    super(`Message not found: ${messageID}`)
  }
}

export class PartNotFoundError extends NotFoundError {
  constructor(partID: string) {
    super(`Part not found: ${partID}`)
  }
}

/** A tool call stopped by a `deny` rule. */
export class PermissionDeniedError extends NamedError {
  constructor(rules: PermissionRule[]) {
    super('PermissionDeniedError', 403, {
      message: `The user has specified a rule which prevents you from using this specific tool call. Here are some of the relevant rules ${JSON.stringify(rules)}`,
    })
  }
}

/** v2: the tagged 404 `SessionNotFoundError {sessionID}`. */
export class SessionNotFoundV2 extends TaggedError {
  constructor(sessionID: string) {
    super('SessionNotFoundError', 404, `Session not found: ${sessionID}`, { sessionID })
  }
}

/** v2: the tagged 404 `MessageNotFoundError {sessionID, messageID}`. */
export class MessageNotFoundV2 extends TaggedError {
  constructor(sessionID: string, messageID: string) {
    super('MessageNotFoundError', 404, `Message not found: ${messageID}`, { sessionID, messageID })
  }
}

/** v2: a prompt id already used by another input or message: 409. */
export class PromptConflictError extends TaggedError {
  constructor(id: string) {
    super('ConflictError', 409, `Prompt message ID conflicts with an existing durable record: ${id}`, { resource: id })
  }
}
