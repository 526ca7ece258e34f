// The agent and model a prompt runs with: named ones checked, else the defaults.
import type { FastifyInstance } from 'fastify'
import { BadRequestError, isNamedError, type Instance } from '../../../sdk/index.js'
import type { AgentInfo } from '../../agent/types.js'
import type { ModelInfo, ModelRef } from '../../provider/types.js'
import type { PromptInput } from '../prompt-schemas.js'
import type { SessionInfo } from '../schemas.js'

/** Resolves the agent and model of a prompt; bad names are a 400 before anything is stored. */
export async function resolveAgentAndModel(
  app: FastifyInstance,
  instance: Instance,
  session: SessionInfo,
  input: PromptInput,
): Promise<{ agent: AgentInfo; model: ModelRef; info: ModelInfo }> {
  const agent = input.agent ? await app.agents.get(instance, input.agent) : await app.agents.defaultAgent(instance)
  if (!agent) throw new BadRequestError(`Agent not found: ${input.agent}`, 'Body')
  const model: ModelRef =
    input.model ??
    agent.model ??
    (session.model
      ? { providerID: session.model.providerID, modelID: session.model.id }
      : await app.providers.defaultModel(instance))
  try {
    return { agent, model, info: await app.providers.model(instance, model) }
  } catch (error) {
    if (isNamedError(error) && error.statusCode === 404)
      throw new BadRequestError(`Model not found: ${model.providerID}/${model.modelID}`, 'Body')
    throw error
  }
}
