import type { TuiKernel } from './index.js'
import { Type } from 'typebox'
import { BadRequestError, InstanceQuery, type EventDefinition, type Instance, type PluginApp } from '../../sdk/index.js'
import { TuiUnavailableError, type ControlQueue } from './control.js'
import {
  CommandExecuteFields,
  PromptAppendFields,
  SessionSelectFields,
  ToastShowFields,
  TuiCommandExecute,
  TuiPromptAppend,
  TuiSessionSelect,
  TuiToastShow,
} from './events.js'

const tags = ['tui']
const querystring = Type.Object(InstanceQuery)

/** `execute-command` names of older clients, as OpenCode maps them. */
const LEGACY_COMMANDS: Record<string, string> = {
  session_new: 'session.new',
  session_share: 'session.share',
  session_interrupt: 'session.interrupt',
  session_compact: 'session.compact',
  messages_page_up: 'session.page.up',
  messages_page_down: 'session.page.down',
  messages_line_up: 'session.line.up',
  messages_line_down: 'session.line.down',
  messages_half_page_up: 'session.half.page.up',
  messages_half_page_down: 'session.half.page.down',
  messages_first: 'session.first',
  messages_last: 'session.last',
  agent_cycle: 'agent.cycle',
}

/** Routes that only tell the TUI to run one of its commands. */
const COMMAND_ROUTES: [path: string, operation: string, summary: string, command: string][] = [
  ['/tui/open-help', 'tui.openHelp', 'Open the help dialog', 'help.show'],
  ['/tui/open-sessions', 'tui.openSessions', 'Open the session list', 'session.list'],
  ['/tui/open-themes', 'tui.openThemes', 'Open the theme list', 'theme.switch'],
  ['/tui/open-models', 'tui.openModels', 'Open the model list', 'model.list'],
  ['/tui/submit-prompt', 'tui.submitPrompt', 'Submit the prompt', 'prompt.submit'],
  ['/tui/clear-prompt', 'tui.clearPrompt', 'Clear the prompt', 'prompt.clear'],
]

const PublishInput = Type.Union([
  Type.Object({ type: Type.Literal('tui.prompt.append'), properties: Type.Object(PromptAppendFields) }),
  Type.Object({ type: Type.Literal('tui.command.execute'), properties: Type.Object(CommandExecuteFields) }),
  Type.Object({ type: Type.Literal('tui.toast.show'), properties: Type.Object(ToastShowFields) }),
  Type.Object({ type: Type.Literal('tui.session.select'), properties: Type.Object(SessionSelectFields) }),
])
const EVENTS: Record<string, EventDefinition> = {
  'tui.prompt.append': TuiPromptAppend,
  'tui.command.execute': TuiCommandExecute,
  'tui.toast.show': TuiToastShow,
  'tui.session.select': TuiSessionSelect,
}
const DEFAULT_TOAST_MS = 5000
const ok = { 200: Type.Boolean() }

/** Publishes a TUI event for the instance; answers `true`, what every route here answers. */
type Publish = (instance: Instance, event: EventDefinition, properties: Record<string, unknown>) => boolean
type ControlQueues = (instance: Instance) => ControlQueue

/** `/tui/…`: events the attached TUI acts on, and the control queue it polls. */
export function registerTuiRoutes(app: PluginApp, kernel: TuiKernel, queue: ControlQueues): void {
  const done: Publish = (instance, event, properties) => {
    kernel.publish(instance, event, properties as never)
    return true
  }
  registerPromptRoutes(app, done)
  registerEventRoutes(app, done)
  registerControlRoutes(app, queue)
}

/** Appending to, submitting and clearing the prompt; opening dialogs; running any command. */
function registerPromptRoutes(app: PluginApp, done: Publish): void {
  app.post(
    '/tui/append-prompt',
    {
      schema: {
        operationId: 'tui.appendPrompt',
        tags,
        summary: 'Append text to the prompt',
        querystring,
        body: Type.Object(PromptAppendFields),
        response: ok,
      },
    },
    async (request) => done(request.instance, TuiPromptAppend, request.body),
  )

  for (const [path, operationId, summary, command] of COMMAND_ROUTES) {
    app.post(
      path,
      {
        schema: {
          operationId,
          tags,
          summary,
          description: `Publishes \`tui.command.execute {command: "${command}"}\`.`,
          querystring,
          response: ok,
        },
      },
      async (request) => done(request.instance, TuiCommandExecute, { command }),
    )
  }

  app.post(
    '/tui/execute-command',
    {
      schema: {
        operationId: 'tui.executeCommand',
        tags,
        summary: 'Run a TUI command',
        description:
          'Older underscore names (`session_new`, `messages_page_up`, `agent_cycle` …) are mapped to the dotted ones; other names pass through as they are.',
        querystring,
        body: Type.Object(CommandExecuteFields),
        response: ok,
      },
    },
    async (request) => {
      const { command } = request.body
      return done(request.instance, TuiCommandExecute, { command: LEGACY_COMMANDS[command] ?? command })
    },
  )
}

/** Toasts, opening a session, and any TUI event as it is. */
function registerEventRoutes(app: PluginApp, done: Publish): void {
  app.post(
    '/tui/show-toast',
    {
      schema: {
        operationId: 'tui.showToast',
        tags,
        summary: 'Show a toast',
        description: '`duration` defaults to 5000 ms.',
        querystring,
        body: Type.Object(ToastShowFields),
        response: ok,
      },
    },
    async (request) => {
      const body = request.body
      return done(request.instance, TuiToastShow, { ...body, duration: body.duration ?? DEFAULT_TOAST_MS })
    },
  )

  app.post(
    '/tui/select-session',
    {
      schema: {
        operationId: 'tui.selectSession',
        tags,
        summary: 'Open a session',
        description: 'Unknown session: 404.',
        querystring,
        body: Type.Object(SessionSelectFields),
        response: ok,
      },
    },
    async (request) => {
      const { sessionID } = request.body
      app.sessions.get(request.instance, sessionID)
      return done(request.instance, TuiSessionSelect, { sessionID })
    },
  )

  app.post(
    '/tui/publish',
    {
      schema: {
        operationId: 'tui.publish',
        tags,
        summary: 'Publish a TUI event as it is',
        querystring,
        body: PublishInput,
        response: ok,
      },
    },
    async (request) => {
      const body = request.body
      if (body.type === 'tui.session.select') app.sessions.get(request.instance, body.properties.sessionID)
      return done(request.instance, EVENTS[body.type]!, body.properties)
    },
  )
}

/** The control queue: the TUI waits for the next request and answers it. */
function registerControlRoutes(app: PluginApp, queue: ControlQueues): void {
  app.get(
    '/tui/control/next',
    {
      schema: {
        operationId: 'tui.control.next',
        tags,
        summary: 'Wait for the next request to the TUI',
        description:
          'Long-polls until a plugin asks the TUI something; answers `{path, body}`. 503 when the instance is disposed while waiting.',
        querystring,
        response: { 200: Type.Object({ path: Type.String(), body: Type.Unknown() }) },
      },
    },
    async (request, reply) => {
      const controller = new AbortController()
      // The client went away (or the answer went out): stop waiting.
      reply.raw.once('close', () => controller.abort())
      const next = await queue(request.instance).next(controller.signal)
      if (!next) throw new TuiUnavailableError('No request arrived before the wait ended')
      return next
    },
  )

  app.post(
    '/tui/control/response',
    {
      schema: {
        operationId: 'tui.control.response',
        tags,
        summary: 'Answer the request the TUI got',
        description: 'Any JSON body; a missing body is a 400.',
        querystring,
        body: Type.Unknown(),
        response: ok,
      },
    },
    async (request) => {
      if (request.body === undefined || request.body === null)
        throw new BadRequestError('A response body is required', 'Body')
      queue(request.instance).respond(request.body)
      return true
    },
  )
}
