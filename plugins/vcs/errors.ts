import { NamedError } from '../../sdk/index.js'

/** A patch that cannot be applied: outside git (`non-git`), or it does not apply cleanly (`not-clean`). */
export class VcsApplyError extends NamedError {
  constructor(reason: 'non-git' | 'not-clean', detail?: string) {
    const message =
      reason === 'non-git' ? "Patch can't be applied because the project is not git-based" : "Patch can't be applied"
    super('VcsApplyError', 400, { message: detail ? `${message}: ${detail}` : message, reason })
  }
}
