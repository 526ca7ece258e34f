import { NamedError, TaggedError } from '../../sdk/index.js'

export class PermissionNotFoundError extends NamedError {
  constructor(requestID: string) {
    super('PermissionNotFoundError', 404, { message: `Permission request not found: ${requestID}`, requestID })
  }
}

/**
 * The user rejected a tool call. Without feedback the loop stops (`stop`, read by the session
 * runner); with feedback the model sees it and goes on.
 */
export class PermissionRejectedError extends NamedError {
  constructor(feedback?: string) {
    super('PermissionRejectedError', 403, {
      message: feedback
        ? `The user rejected permission to use this specific tool call with the following feedback: ${feedback}`
        : 'The user rejected permission to use this specific tool call.',
      stop: feedback === undefined,
    })
  }
}

/** The prompt was aborted while the request waited. */
export class PermissionCancelledError extends NamedError {
  constructor() {
    super('PermissionCancelledError', 409, { message: 'The permission request was cancelled' })
  }
}

export class PermissionSavedNotFoundError extends TaggedError {
  constructor(id: string) {
    super('PermissionSavedNotFoundError', 404, `Saved permission not found: ${id}`, { id })
  }
}
