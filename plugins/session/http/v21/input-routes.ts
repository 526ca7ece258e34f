// OpenCode 2.1's other session inputs: a slash command (`POST /api/session/:id/command`) and a
// skill (`POST /api/experimental/session/:id/skill`), both admitted through the inbox as a
// prompt is. The shell, instruction entries and move are in their own files; this one registers all.
import { Type, type Static } from 'typebox'
import { Mention, PromptAgents, PromptFiles } from './attachment-schemas.js'
import {
  InvalidRequestError,
  StringEnum,
  TaggedError,
  ascendingId,
  ref,
  v2Errors,
  defineEvent,
  type Instance,
  type PluginApp,
} from '../../../../sdk/index.js'
import { SyncProjectors } from '../../../sync/types.js'
import { SessionCommands, fillArguments } from '../v1/command.js'
import { loopOf } from '../v2/prompt-routes.js'
import { routeTags as tags, routeConfig as config, SessionParams } from '../v2/route-defaults.js'
import type { SessionV2Deps } from '../v2/routes.js'
import { SessionNotFoundErrorBody } from '../v2/schemas.js'
import { readAttachments, type FileRequest } from './attachments.js'
import { InstructionsUpdated, registerInstructionRoutes } from './instruction-routes.js'
import { registerMoveRoute } from './move-route.js'
import { SessionShellEnded, SessionShellStarted, registerShellRoute } from './shell-route.js'

const CommandBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    text: Type.String({ maxLength: 10_000_000 }),
    files: PromptFiles,
    agents: PromptAgents,
    skills: Type.Optional(
      Type.Array(
        Type.Object(
          { id: Type.String({ minLength: 1, maxLength: 200 }), mention: Type.Optional(Mention) },
          { additionalProperties: false },
        ),
        { maxItems: 100 },
      ),
    ),
    delivery: Type.Optional(Type.Union([StringEnum(['steer', 'queue']), Type.Null()])),
  },
  { additionalProperties: false },
)
const CommandNotFoundBody = Type.Object(
  { _tag: Type.Literal('CommandNotFoundError'), command: Type.String(), message: Type.String() },
  { additionalProperties: false },
)
const SkillNotFoundBody = Type.Object(
  { _tag: Type.Literal('SkillNotFoundError'), skill: Type.String(), message: Type.String() },
  { additionalProperties: false },
)

export const SkillActivated = defineEvent('session.skill.activated', {
  timestamp: Type.Number(),
  sessionID: Type.String(),
  id: Type.String(),
  name: Type.String(),
  text: Type.String(),
})

type CommandRequest = Static<typeof CommandBody>

/**
 * The template filled as v1's `/session/:id/command` fills it: arguments, `` !`cmd` `` output, and
 * the `@path` references it names as files (or agents), after the files and agents sent.
 */
async function filledTemplate(
  app: PluginApp,
  commands: SessionCommands,
  instance: Instance,
  sessionID: string,
  template: string,
  body: CommandRequest,
) {
  // The agent the template's commands run as (their permissions): the default one, as v1.
  const agent = (await app.agents.defaultAgent(instance))?.name ?? 'build'
  const text = (await commands.expandShell(instance, sessionID, agent, fillArguments(template, body.text))).trim()
  const files: FileRequest[] = [...(body.files ?? [])]
  const agents: { name: string }[] = [...(body.agents ?? [])]
  for (const part of await commands.referencedParts(instance, text)) {
    if (part.type === 'file' && !files.some((file) => file.uri === part.url))
      files.push({ uri: part.url, ...(part.filename ? { name: part.filename } : {}) })
    if (part.type === 'agent' && !agents.some((known) => known.name === part.name)) agents.push({ name: part.name })
  }
  return { text, files, agents }
}

/** Every route of this area; one line in `v2/routes.ts` registers them. */
export function registerInputRoutes(app: PluginApp, deps: SessionV2Deps): void {
  // Logged in the session's event log (their seq), as 2.1 does; nothing to project on replay.
  deps.kernel.extensions.provide(SyncProjectors, 'session-21-inputs', {
    types: [SessionShellStarted.type, SessionShellEnded.type, SkillActivated.type, InstructionsUpdated.type],
    apply: () => {},
  })
  registerCommandRoute(app, deps)
  registerSkillRoute(app, deps)
  registerShellRoute(app, deps)
  registerInstructionRoutes(app, deps)
  registerMoveRoute(app, deps)
}

/** `POST /api/session/:sessionID/command`: the command's template, admitted as the user's prompt. */
function registerCommandRoute(app: PluginApp, deps: SessionV2Deps): void {
  const commands = new SessionCommands(app, deps.kernel, deps.sessions, deps.admission)
  app.post(
    '/api/session/:sessionID/command',
    {
      config,
      schema: {
        operationId: 'session.command',
        tags,
        summary: 'Run command',
        description:
          "Fills the command's template (`$ARGUMENTS` takes `text`, `$1`… its words) and admits it as a user prompt that runs, as `prompt` does; commands come from the config, `.opencode/command/*.md` and the built-ins. Unknown command: 404 `CommandNotFoundError`.",
        params: SessionParams,
        body: CommandBody,
        response: {
          204: Type.Null(),
          ...v2Errors({ 404: Type.Union([ref(SessionNotFoundErrorBody), CommandNotFoundBody]) }),
        },
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params
      const instance = await loopOf(deps, sessionID)
      const body = request.body
      const command = await app.commands.get(instance, body.name)
      if (!command)
        throw new TaggedError('CommandNotFoundError', 404, `Command not found: ${body.name}`, { command: body.name })
      if (body.skills?.length) {
        const skill = body.skills[0]!.id
        if (!(await app.skills.get(instance, skill)))
          throw new InvalidRequestError(`Skill not found: ${skill}`, { kind: 'Payload', field: 'skills' })
      }
      for (const agent of body.agents ?? [])
        if (!(await app.agents.get(instance, agent.name)))
          throw new InvalidRequestError(`Agent not found: ${agent.name}`, { kind: 'Payload', field: 'agents' })
      const { text, files, agents } = await filledTemplate(app, commands, instance, sessionID, command.template, body)
      const payload = {
        text,
        files: readAttachments(instance, files),
        ...(agents.length ? { agents } : {}),
        metadata: { command: command.name, arguments: body.text },
      }
      const prompt = {
        text,
        ...(files.length ? { files: files.map(({ uri, name }) => ({ uri, ...(name ? { name } : {}) })) } : {}),
        ...(agents.length ? { agents: agents.map(({ name }) => ({ name })) } : {}),
      }
      await deps.inputs.admit(instance, sessionID, {
        prompt,
        payload,
        ...(body.delivery ? { delivery: body.delivery } : {}),
      })
      return reply.code(204).send(null)
    },
  )
}

/** `POST /api/experimental/session/:sessionID/skill`: a skill's text for the model, shown as a `skill` message. */
function registerSkillRoute(app: PluginApp, deps: SessionV2Deps): void {
  app.post(
    '/api/experimental/session/:sessionID/skill',
    {
      config,
      schema: {
        operationId: 'experimental.session.skill',
        tags,
        summary: 'Activate skill',
        description:
          "Appends a `skill` message with the skill's text at once and runs the session (unless `resume` is false: the text then waits for the next run). Unknown skill: 404 `SkillNotFoundError`.",
        params: SessionParams,
        body: Type.Object(
          {
            id: Type.String({ minLength: 1, maxLength: 200 }),
            resume: Type.Optional(Type.Union([Type.Boolean(), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: {
          204: Type.Null(),
          ...v2Errors({ 404: Type.Union([ref(SessionNotFoundErrorBody), SkillNotFoundBody]) }),
        },
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params
      const instance = await loopOf(deps, sessionID)
      const { id, resume } = request.body
      const skill = await app.skills.get(instance, id)
      if (!skill) throw new TaggedError('SkillNotFoundError', 404, `Skill not found: ${id}`, { skill: id })
      const timestamp = Date.now()
      deps.entries.add(sessionID, {
        id: ascendingId('msg'),
        time: { created: timestamp },
        type: 'skill',
        skill: skill.name,
        name: skill.name,
        text: skill.content,
      })
      deps.kernel.publish(instance, SkillActivated, {
        timestamp,
        sessionID,
        id: skill.name,
        name: skill.name,
        text: skill.content,
      })
      // The model reads it as synthetic input (v1's conversation has no skill message).
      const text = `<skill name="${skill.name}">\n${skill.content}\n</skill>`
      await deps.inputs.admit(instance, sessionID, {
        prompt: { text, synthetic: { description: `skill ${skill.name}` } },
        payload: { text, description: `skill ${skill.name}`, metadata: { source: 'skill', skill: skill.name } },
        resume: resume !== false,
      })
      return reply.code(204).send(null)
    },
  )
}
