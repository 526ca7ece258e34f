import { TaggedError } from '../../sdk/index.js'

/** `GET /api/agent/{agentID}` of an agent the location does not have. */
export class AgentNotFoundError extends TaggedError {
  constructor(agentID: string) {
    super('AgentNotFoundError', 404, `Agent not found: ${agentID}`, { agentID })
  }
}
