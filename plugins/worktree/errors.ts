import { NamedError, TaggedError } from '../../sdk/index.js'

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

/**
 * OpenCode 2.1's worktree failure (400): answered as `{_tag, name, data: {message, forceRequired}}`,
 * a shape of its own that the 2.1 routes send themselves (`body`).
 */
export class WorktreeV21Error extends NamedError {
  constructor(message: string, forceRequired: boolean | null = null) {
    super('WorktreeError', 400, { message, forceRequired })
  }

  get body(): {
    _tag: 'WorktreeError'
    name: 'WorktreeError'
    data: { message: string; forceRequired: boolean | null }
  } {
    const { message, forceRequired } = this.data as { message: string; forceRequired: boolean | null }
    return { _tag: 'WorktreeError', name: 'WorktreeError', data: { message, forceRequired } }
  }
}

/** OpenCode 2.1's answer for a project id nobody opened (404). */
export class ProjectNotFoundError extends TaggedError {
  constructor(projectID: string) {
    super('ProjectNotFoundError', 404, `Project not found: ${projectID}`, { projectID })
  }
}
