import { NamedError } from '../../sdk/index.js'

// Names as OpenCode's `WorktreeError`, so its clients can tell them apart.

export class WorktreeNotGitError extends NamedError {
  constructor() {
    super('WorktreeNotGitError', 400, { message: 'Worktrees are only supported for git projects' })
  }
}

export class WorktreeNameGenerationFailedError extends NamedError {
  constructor() {
    super('WorktreeNameGenerationFailedError', 500, { message: 'Failed to generate a unique worktree name' })
  }
}

/** git refused, or the name is taken (409). */
export class WorktreeCreateFailedError extends NamedError {
  constructor(message: string, statusCode = 400) {
    super('WorktreeCreateFailedError', statusCode, { message })
  }
}

export class WorktreeRemoveFailedError extends NamedError {
  constructor(message: string) {
    super('WorktreeRemoveFailedError', 400, { message })
  }
}

/** The directory is the project's own checkout, not one of our worktrees, or git refused. */
export class WorktreeResetFailedError extends NamedError {
  constructor(message: string) {
    super('WorktreeResetFailedError', 400, { message })
  }
}
