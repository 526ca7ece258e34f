import { TaggedError } from '../../sdk/index.js'

/** OpenCode 2.1's answer for a project id it does not know (404). */
export class ProjectNotFoundError extends TaggedError {
  constructor(projectID: string) {
    super('ProjectNotFoundError', 404, `Project not found: ${projectID}`, { projectID })
  }
}
