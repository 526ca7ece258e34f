// `POST /api/session/:sessionID/shell`: a command the user runs beside the conversation. It runs
// at once through the shell plugin (`app.shells`); its output is steered into the inbox for the
// next run, and no run starts.
import { Type } from 'typebox'
import { InvalidRequestError, ascendingId, defineEvent, type PluginApp } from '../../../../sdk/index.js'
import type { ShellInfo } from '../../../shell/types.js'
import { loopOf } from '../v2/prompt-routes.js'
import { routeTags as tags, routeConfig as config, SessionParams, sessionNotFound } from '../v2/route-defaults.js'
import type { SessionV2Deps } from '../v2/routes.js'

const Json = Type.Object({}, { additionalProperties: true })
const Output = Type.Object({
  output: Type.String(),
  cursor: Type.Integer(),
  size: Type.Integer(),
  truncated: Type.Boolean(),
})
export const SessionShellStarted = defineEvent('session.shell.started', {
  timestamp: Type.Number(),
  sessionID: Type.String(),
  shell: Json,
})
export const SessionShellEnded = defineEvent('session.shell.ended', {
  timestamp: Type.Number(),
  sessionID: Type.String(),
  shell: Json,
  output: Output,
})

/** `"` and `<` `>` `&` escaped, so the command cannot close the tag the model reads. */
const attribute = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')

/** 2.1's state word for how a shell ended. */
const stateOf = (shell: ShellInfo) => (shell.status === 'exited' ? 'completed' : shell.status)

export function registerShellRoute(app: PluginApp, deps: SessionV2Deps): void {
  app.post(
    '/api/session/:sessionID/shell',
    {
      config,
      schema: {
        operationId: 'session.shell',
        tags,
        summary: 'Run shell command',
        description:
          "Runs the command at once in the session's directory and environment (`session.shell.started`, `session.shell.ended`), adds a `shell` message, and steers its output into the inbox as a synthetic input the next run delivers; no run starts. Answers 204 once the command has ended.",
        params: SessionParams,
        body: Type.Object(
          {
            command: Type.String({ maxLength: 100_000 }),
            id: Type.Optional(
              Type.Union([Type.String({ pattern: '^msg_[0-9A-Za-z]+$', maxLength: 100 }), Type.Null()]),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null(), ...sessionNotFound },
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params
      const instance = await loopOf(deps, sessionID)
      const { command, id } = request.body
      if (!app.hasDecorator('shells'))
        throw new InvalidRequestError('Shell commands need the shell plugin', { kind: 'Payload', field: 'command' })
      if (id && (deps.sessions.store.hasMessageID(id) || deps.entries.get(sessionID, id) || deps.inputs.item(id)))
        throw new InvalidRequestError(`Message ID already exists: ${id}`, { kind: 'Payload', field: 'id' })
      const session = deps.sessions.get(instance, sessionID)
      const messageID = id ?? ascendingId('msg')
      const { shell, output } = await app.shells.run(
        instance,
        { command, cwd: session.directory, sessionID, metadata: { background: true } },
        {
          onStart: (info) =>
            deps.kernel.publish(instance, SessionShellStarted, { timestamp: Date.now(), sessionID, shell: info }),
        },
      )
      deps.kernel.publish(instance, SessionShellEnded, { timestamp: Date.now(), sessionID, shell, output })
      deps.entries.add(sessionID, {
        id: messageID,
        metadata: { background: true },
        time: { created: shell.time.started, ...(shell.time.completed ? { completed: shell.time.completed } : {}) },
        type: 'shell',
        shellID: shell.id,
        command,
        status: shell.status,
        ...(shell.exit !== undefined ? { exit: shell.exit } : {}),
        output,
      })
      const state = stateOf(shell)
      // 2.1's wording, so the model reads the same note.
      const text = `The following shell command was executed by the user:\n<shell id="${shell.id}" state="${state}" command="${attribute(command)}">\n${output.output || '(no output)'}\n</shell>`
      const metadata = {
        source: 'shell',
        shellID: shell.id,
        state,
        truncated: output.truncated,
        ...(shell.exit !== undefined ? { exit: shell.exit } : {}),
      }
      await deps.inputs.admit(instance, sessionID, {
        prompt: { text, synthetic: {} },
        payload: { text, metadata },
        delivery: 'steer',
        resume: false,
      })
      return reply.code(204).send(null)
    },
  )
}
