import { NamedError } from '../../sdk/index.js'

export class WorkspaceCreateError extends NamedError {
  constructor(message: string) {
    super('WorkspaceCreateError', 400, { message })
  }
}

export class WorkspaceWarpError extends NamedError {
  constructor(message: string) {
    super('WorkspaceWarpError', 400, { message })
  }
}

export class MoveSessionError extends NamedError {
  constructor(message: string) {
    super('MoveSessionError', 400, { message })
  }
}

/** The uncommitted changes cannot be carried: outside git, or they do not apply cleanly there. */
export class ChangesNotAppliedError extends NamedError {
  constructor(message: string, reason: 'non-git' | 'not-clean') {
    super('VcsApplyError', 400, { message, reason })
  }
}

export class ProjectCopyError extends NamedError {
  constructor(message: string, forceRequired?: boolean) {
    super('ProjectCopyError', 400, forceRequired === undefined ? { message } : { message, forceRequired })
  }
}
