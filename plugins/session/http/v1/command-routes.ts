// v1 work that is not a plain prompt: a shell command, a slash command, `init`, a summary.
import { Type } from 'typebox'
import { InstanceQuery, ref, type PluginApp } from '../../../../sdk/index.js'
import type {} from '../../../project/types.js' // app.projects, when the project plugin runs
import { MessageWithParts } from '../../schemas.js'
import type { SessionRouteDeps } from './routes.js'
import { CommandInput, InitInput, SessionParams, ShellInput, SummarizeInput } from './schemas.js'

const tags = ['session']
const querystring = Type.Object(InstanceQuery)

/** `POST /session/:sessionID/shell` and `…/command`. */
export function registerShellAndCommandRoutes(app: PluginApp, { shell, commands }: SessionRouteDeps): void {
  app.post(
    '/session/:sessionID/shell',
    {
      schema: {
        operationId: 'session.shell',
        tags,
        summary: 'Run a shell command in the session',
        description:
          'Runs `command` in the project directory as a `bash` tool part of a new assistant message (no model call) and answers that message when it ends. The part streams the output; abort kills the command. 409 while busy.',
        querystring,
        params: SessionParams,
        body: ShellInput,
        response: { 200: ref(MessageWithParts) },
      },
    },
    async (request) => shell.run(request.instance, request.params.sessionID, request.body),
  )

  app.post(
    '/session/:sessionID/command',
    {
      schema: {
        operationId: 'session.command',
        tags,
        summary: 'Run a slash command',
        description:
          'Expands the command template (`$1`…, `$ARGUMENTS`, `` !`cmd` `` output, `@file` references) and sends it as a prompt, as a subtask in a child session when the command (or its subagent) says so; answers the final assistant message and publishes `command.executed`. Unknown command: 404.',
        querystring,
        params: SessionParams,
        body: CommandInput,
        response: { 200: ref(MessageWithParts) },
      },
    },
    async (request) => commands.run(request.instance, request.params.sessionID, request.body),
  )
}

/** `POST /session/:sessionID/init` and `…/summarize`. */
export function registerInitAndSummarizeRoutes(app: PluginApp, { admission, commands }: SessionRouteDeps): void {
  app.post(
    '/session/:sessionID/init',
    {
      schema: {
        operationId: 'session.init',
        tags,
        summary: 'Create or update AGENTS.md',
        description:
          'Runs the built-in `init` command with this model, its user message getting `messageID`; answers `true` when the turn ends.',
        querystring,
        params: SessionParams,
        body: InitInput,
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => {
      const { sessionID } = request.params
      const body = request.body
      const reply = await commands.run(request.instance, sessionID, {
        command: 'init',
        arguments: '',
        messageID: body.messageID,
        model: { providerID: body.providerID, modelID: body.modelID },
      })
      // The project counts as initialised once the init turn ended without an error.
      const failed = reply.info.role === 'assistant' && reply.info.error !== undefined
      if (!failed && app.hasDecorator('projects')) app.projects.markInitialized(request.instance)
      return true
    },
  )

  app.post(
    '/session/:sessionID/summarize',
    {
      schema: {
        operationId: 'session.summarize',
        tags,
        summary: 'Summarize (compact) the session',
        description:
          'The model writes a summary of the conversation (an assistant message with `summary: true`, answering a user message with a `compaction` part); later model calls start from it. `session.compacted` when done; with `auto`, the work continues after it. Answers `true` when it ends; queued behind a running prompt.',
        querystring,
        params: SessionParams,
        body: SummarizeInput,
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => {
      await admission.compact(request.instance, request.params.sessionID, request.body)
      return true
    },
  )
}
