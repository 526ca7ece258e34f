// `POST /session/:sessionID/shell`: the user runs a command in the session, without the model.
import type { SessionKernel } from '../../index.js'
import { BadRequestError, ascendingId, type Instance } from '../../../../sdk/index.js'
import type { MessageWithParts, UserMessage } from '../../schemas.js'
import type { PromptAdmission } from '../../loop/admission.js'
import type { PromptRunner } from '../../loop/turn.js'
import type { SessionService } from '../../store/service.js'

export interface ShellRequest {
  agent: string
  command: string
  model?: { providerID: string; modelID: string }
  messageID?: string
}

/**
 * Runs a command through the `bash` tool as a tool part of a new assistant message (after a user
 * message saying the user ran it, so the model sees both later). The part streams the output while
 * the command runs; abort kills its process group. 409 while the session is busy.
 */
export class SessionShell {
  constructor(
    private readonly kernel: SessionKernel,
    private readonly sessions: SessionService,
    private readonly admission: PromptAdmission,
    private readonly runner: PromptRunner,
  ) {}

  async run(instance: Instance, sessionID: string, input: ShellRequest): Promise<MessageWithParts> {
    const session = this.sessions.get(instance, sessionID)
    this.admission.assertIdle(instance, sessionID)
    const bash = this.kernel.tools.get('bash')
    if (!bash) throw new BadRequestError('The bash tool is not available (the tools plugin is not loaded)')
    const { agent, model } = await this.admission.resolveAgentAndModel(instance, session, {
      agent: input.agent,
      model: input.model,
      parts: [],
    })
    const userID = input.messageID ?? ascendingId('msg')
    if (this.sessions.store.getMessage(sessionID, userID))
      throw new BadRequestError(`Message already exists: ${userID}`, 'Body')

    return this.admission.exclusive(instance, sessionID, async (signal) => {
      const user: UserMessage = {
        id: userID,
        sessionID,
        role: 'user',
        time: { created: Date.now() },
        agent: agent.name,
        model,
      }
      this.sessions.saveMessage(instance, user)
      this.sessions.savePart(instance, {
        id: ascendingId('prt'),
        sessionID,
        messageID: userID,
        type: 'text',
        text: 'The following tool was executed by the user',
        synthetic: true,
      })
      const reply = await this.runner.runUserTool({
        instance,
        sessionID,
        parentID: userID,
        model,
        mode: agent.name,
        agent,
        tool: 'bash',
        definition: bash,
        input: { command: input.command, description: '' },
        signal,
      })
      this.sessions.update(instance, sessionID, () => {}, { touch: true })
      return reply
    })
  }
}
