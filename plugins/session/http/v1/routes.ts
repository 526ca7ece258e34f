import type { FastifyInstance } from 'fastify'
import { Type, type Static } from 'typebox'
import { BadRequestError, InstanceQuery, optionalBody, ref, type Kernel } from '../../../../sdk/index.js'
import type { PromptAdmission } from '../../loop/admission.js'
import type { SessionHistory } from '../../store/history.js'
import type { SessionShell } from './shell.js'
import type {} from '../../../project/types.js' // app.projects, when the project plugin runs
import type { SessionCommands } from './command.js'
import { FileDiff, MessageWithParts, Part, SessionInfo, SessionStatus, type Part as PartValue } from '../../schemas.js'
import { PromptInput } from '../../prompt-schemas.js'
import {
  CommandInput,
  DiffQuery,
  ForkInput,
  InitInput,
  MessageListQuery,
  MessageParams,
  PartParams,
  RevertInput,
  SessionCreateInput,
  SessionListQuery,
  SessionParams,
  SessionUpdateInput,
  ShellInput,
  SummarizeInput,
} from './schemas.js'
import type { SessionService } from '../../store/service.js'
import { messagesJson } from '../../store/store.js'

const tags = ['session']
const querystring = Type.Object(InstanceQuery)

/** Message cursors are opaque to clients: base64url of `{id, time}`, as OpenCode sends them. */
function encodeCursor(id: string): string {
  return Buffer.from(JSON.stringify({ id, time: Date.now() })).toString('base64url')
}

function decodeCursor(cursor: string): string {
  if (/^msg_[0-9A-Za-z]+$/.test(cursor)) return cursor
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { id?: unknown }
    if (typeof value.id === 'string' && /^msg_[0-9A-Za-z]+$/.test(value.id)) return value.id
  } catch {
    // falls through to the error
  }
  throw new BadRequestError('Invalid cursor in "before"', 'Query')
}

export interface SessionParts {
  sessions: SessionService
  admission: PromptAdmission
  history: SessionHistory
  shell: SessionShell
  commands: SessionCommands
}

export function registerSessionRoutes(
  app: FastifyInstance,
  kernel: Kernel,
  { sessions, admission, history, shell, commands }: SessionParts,
): void {
  app.get(
    '/session',
    {
      schema: {
        operationId: 'session.list',
        tags,
        summary: 'List sessions, most recently updated first',
        querystring: SessionListQuery,
        response: { 200: Type.Array(ref(SessionInfo)) },
      },
    },
    async (request, reply) => {
      const query = request.query as Static<typeof SessionListQuery>
      // Stored JSON goes out as is: no parse and re-serialise per request.
      const body = sessions.store.listSessionsBody({
        projectID: request.instance.project.id,
        directory: query.scope === 'project' ? undefined : request.instance.directory,
        roots: query.roots,
        start: query.start,
        search: query.search,
        limit: query.limit ?? 100,
      })
      return reply.type('application/json; charset=utf-8').send(body)
    },
  )

  app.get(
    '/session/status',
    {
      schema: {
        operationId: 'session.status',
        tags,
        summary: 'Status of every non-idle session',
        querystring,
        response: { 200: Type.Record(Type.String(), ref(SessionStatus)) },
      },
    },
    async (request) => admission.statuses(request.instance),
  )

  app.post(
    '/session',
    {
      schema: {
        operationId: 'session.create',
        tags,
        summary: 'Create a session',
        querystring,
        body: optionalBody(SessionCreateInput),
        response: { 200: ref(SessionInfo) },
      },
    },
    async (request) =>
      sessions.create(request.instance, (request.body as Static<typeof SessionCreateInput> | undefined) ?? {}),
  )

  app.get(
    '/session/:sessionID',
    {
      schema: {
        operationId: 'session.get',
        tags,
        summary: 'Get a session',
        querystring,
        params: SessionParams,
        response: { 200: ref(SessionInfo) },
      },
    },
    async (request) => sessions.get(request.instance, (request.params as Static<typeof SessionParams>).sessionID),
  )

  app.patch(
    '/session/:sessionID',
    {
      schema: {
        operationId: 'session.update',
        tags,
        summary: 'Update a session',
        querystring,
        params: SessionParams,
        body: SessionUpdateInput,
        response: { 200: ref(SessionInfo) },
      },
    },
    async (request) => {
      const { sessionID } = request.params as Static<typeof SessionParams>
      const body = request.body as Static<typeof SessionUpdateInput>
      return sessions.update(request.instance, sessionID, (info) => {
        if (body.title !== undefined) info.title = body.title
        if (body.metadata !== undefined) info.metadata = body.metadata
        if (body.permission !== undefined) info.permission = body.permission
        if (body.time && 'archived' in body.time) {
          if (body.time.archived === null || body.time.archived === undefined) delete info.time.archived
          else info.time.archived = body.time.archived
        }
      })
    },
  )

  app.delete(
    '/session/:sessionID',
    {
      schema: {
        operationId: 'session.delete',
        tags,
        summary: 'Delete a session, its children, messages and parts',
        querystring,
        params: SessionParams,
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => {
      const { sessionID } = request.params as Static<typeof SessionParams>
      sessions.get(request.instance, sessionID)
      for (const id of sessions.store.descendants(sessionID)) await admission.stop(request.instance, id)
      sessions.remove(request.instance, sessionID)
      return true
    },
  )

  app.get(
    '/session/:sessionID/children',
    {
      schema: {
        operationId: 'session.children',
        tags,
        summary: 'Child sessions',
        querystring,
        params: SessionParams,
        response: { 200: Type.Array(ref(SessionInfo)) },
      },
    },
    async (request) => {
      const { sessionID } = request.params as Static<typeof SessionParams>
      sessions.get(request.instance, sessionID)
      return sessions.store.children(sessionID)
    },
  )

  app.get(
    '/session/:sessionID/message',
    {
      schema: {
        operationId: 'session.messages',
        tags,
        summary: 'Messages of a session, oldest first; with `limit`, the latest page and a cursor to older ones',
        querystring: MessageListQuery,
        params: SessionParams,
        response: { 200: Type.Array(ref(MessageWithParts)) },
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params as Static<typeof SessionParams>
      const query = request.query as Static<typeof MessageListQuery>
      sessions.get(request.instance, sessionID)
      reply.type('application/json; charset=utf-8')
      if (query.limit === undefined && query.before === undefined)
        return reply.send(sessions.store.allMessagesBody(sessionID))
      const page = sessions.store.pageJson(
        sessionID,
        query.limit ?? 100,
        query.before ? decodeCursor(query.before) : undefined,
      )
      if (page.next) {
        const cursor = encodeCursor(page.next)
        const url = new URL(request.url, 'http://localhost')
        url.searchParams.set('before', cursor)
        reply.header('x-next-cursor', cursor)
        reply.header('link', `<${url.pathname}${url.search}>; rel="next"`)
      }
      return reply.send(messagesJson(page.messages))
    },
  )

  app.get(
    '/session/:sessionID/message/:messageID',
    {
      schema: {
        operationId: 'session.message',
        tags,
        summary: 'One message with its parts',
        querystring,
        params: MessageParams,
        response: { 200: ref(MessageWithParts) },
      },
    },
    async (request) => {
      const { sessionID, messageID } = request.params as Static<typeof MessageParams>
      return sessions.message(request.instance, sessionID, messageID)
    },
  )

  app.delete(
    '/session/:sessionID/message/:messageID',
    {
      schema: {
        operationId: 'session.deleteMessage',
        tags,
        summary: 'Delete a message and its parts',
        querystring,
        params: MessageParams,
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => {
      const { sessionID, messageID } = request.params as Static<typeof MessageParams>
      admission.assertIdle(request.instance, sessionID)
      sessions.removeMessage(request.instance, sessionID, messageID)
      return true
    },
  )

  app.delete(
    '/session/:sessionID/message/:messageID/part/:partID',
    {
      schema: {
        operationId: 'part.delete',
        tags,
        summary: 'Delete a part',
        querystring,
        params: PartParams,
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => {
      const { sessionID, messageID, partID } = request.params as Static<typeof PartParams>
      sessions.removePart(request.instance, sessionID, messageID, partID)
      return true
    },
  )

  app.patch(
    '/session/:sessionID/message/:messageID/part/:partID',
    {
      schema: {
        operationId: 'part.update',
        tags,
        summary: 'Replace a part',
        querystring,
        params: PartParams,
        body: ref(Part),
        response: { 200: ref(Part) },
      },
    },
    async (request) => {
      const { sessionID, messageID, partID } = request.params as Static<typeof PartParams>
      const part = request.body as PartValue
      sessions.part(request.instance, sessionID, messageID, partID)
      if (part.id !== partID || part.messageID !== messageID || part.sessionID !== sessionID) {
        throw new BadRequestError("The part's id, messageID and sessionID must match the path", 'Body')
      }
      sessions.savePart(request.instance, part)
      return part
    },
  )

  app.post(
    '/session/:sessionID/message',
    {
      schema: {
        operationId: 'session.prompt',
        tags,
        summary: 'Send a prompt and wait for the reply',
        querystring,
        params: SessionParams,
        body: ref(PromptInput),
        response: { 200: ref(MessageWithParts) },
      },
    },
    async (request) => {
      const { sessionID } = request.params as Static<typeof SessionParams>
      return admission.prompt(request.instance, sessionID, request.body as Static<typeof PromptInput>)
    },
  )

  app.post(
    '/session/:sessionID/prompt_async',
    {
      schema: {
        operationId: 'session.prompt_async',
        tags,
        summary: 'Send a prompt; answers 204 at once',
        querystring,
        params: SessionParams,
        body: ref(PromptInput),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const { sessionID } = request.params as Static<typeof SessionParams>
      const body = request.body as Static<typeof PromptInput>
      // Validation and storing the user message happen before the 204; only the turn runs after.
      const { reply: turn } = await admission.submit(request.instance, sessionID, body)
      turn?.catch((error: unknown) => kernel.log.warn({ err: error, sessionID }, 'async prompt failed'))
      return reply.status(204).send()
    },
  )

  app.post(
    '/session/:sessionID/abort',
    {
      schema: {
        operationId: 'session.abort',
        tags,
        summary: 'Abort the running prompt and drop queued ones',
        querystring,
        params: SessionParams,
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => {
      const { sessionID } = request.params as Static<typeof SessionParams>
      sessions.get(request.instance, sessionID)
      await admission.stop(request.instance, sessionID)
      return true
    },
  )

  app.get(
    '/session/:sessionID/diff',
    {
      schema: {
        operationId: 'session.diff',
        tags,
        summary: 'What the session changed',
        description:
          'Per file, from the snapshot before the first tool ran to the one after the last; with `messageID` (a user message), only that turn.',
        querystring: DiffQuery,
        params: SessionParams,
        response: { 200: Type.Array(ref(FileDiff)) },
      },
    },
    async (request) => {
      const { sessionID } = request.params as Static<typeof SessionParams>
      return history.diff(request.instance, sessionID, (request.query as Static<typeof DiffQuery>).messageID)
    },
  )

  app.post(
    '/session/:sessionID/revert',
    {
      schema: {
        operationId: 'session.revert',
        tags,
        summary: 'Revert the files a message (or part) and everything after it changed',
        description:
          'Marks the session `revert`; the next prompt drops the reverted messages, unrevert restores the files. 409 while busy.',
        querystring,
        params: SessionParams,
        body: RevertInput,
        response: { 200: ref(SessionInfo) },
      },
    },
    async (request) => {
      const { sessionID } = request.params as Static<typeof SessionParams>
      const body = request.body as Static<typeof RevertInput>
      admission.assertIdle(request.instance, sessionID)
      return history.revert(request.instance, sessionID, body.messageID, body.partID)
    },
  )

  app.post(
    '/session/:sessionID/unrevert',
    {
      schema: {
        operationId: 'session.unrevert',
        tags,
        summary: 'Undo a revert',
        description: 'Puts the files back as they were before the revert. 409 while busy.',
        querystring,
        params: SessionParams,
        response: { 200: ref(SessionInfo) },
      },
    },
    async (request) => {
      const { sessionID } = request.params as Static<typeof SessionParams>
      admission.assertIdle(request.instance, sessionID)
      return history.unrevert(request.instance, sessionID)
    },
  )

  app.post(
    '/session/:sessionID/fork',
    {
      schema: {
        operationId: 'session.fork',
        tags,
        summary: 'Fork a session',
        description:
          'A new session with copies (new ids, same content) of the messages before `messageID`, or of all of them.',
        querystring,
        params: SessionParams,
        body: optionalBody(ForkInput),
        response: { 200: ref(SessionInfo) },
      },
    },
    async (request) => {
      const { sessionID } = request.params as Static<typeof SessionParams>
      return history.fork(
        request.instance,
        sessionID,
        (request.body as Static<typeof ForkInput> | undefined)?.messageID,
      )
    },
  )

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
    async (request) => {
      const { sessionID } = request.params as Static<typeof SessionParams>
      return shell.run(request.instance, sessionID, request.body as Static<typeof ShellInput>)
    },
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
    async (request) => {
      const { sessionID } = request.params as Static<typeof SessionParams>
      return commands.run(request.instance, sessionID, request.body as Static<typeof CommandInput>)
    },
  )

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
      const { sessionID } = request.params as Static<typeof SessionParams>
      const body = request.body as Static<typeof InitInput>
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
      const { sessionID } = request.params as Static<typeof SessionParams>
      await admission.compact(request.instance, sessionID, request.body as Static<typeof SummarizeInput>)
      return true
    },
  )
}
