import type { EventPayload } from '../../kernel/events/bus.js'
import type { ServerOptions } from '../../kernel/http/server.js'
import { gitRepo, onCleanup, startServer, type TestServer } from './helper.js'
import { ScriptedLlm } from './llm.js'
import { writeScriptedConfig } from './server-process.js'

export interface SessionHarness {
  server: TestServer
  llm: ScriptedLlm
  repo: string
  /** Every event published for the repo, in order. */
  events: EventPayload[]
  /** `inject` with JSON, answering `{status, body}`. */
  call(
    method: string,
    url: string,
    payload?: unknown,
  ): Promise<{ status: number; body: any; headers: Record<string, unknown> }>
  createSession(body?: Record<string, unknown>): Promise<any>
  prompt(sessionID: string, text: string, extra?: Record<string, unknown>): Promise<{ status: number; body: any }>
}

export const PLUGINS = ['core', 'agent', 'provider', 'tools', 'session', 'permission', 'question', 'todo']

/**
 * A server with the session plugins, a real git repo whose opencode.json points the `scripted`
 * provider at a scripted OpenAI-compatible LLM on a real port.
 */
export async function sessionHarness(
  options: {
    files?: Record<string, string>
    config?: Record<string, unknown>
    dataDir?: string
    llm?: ScriptedLlm
    plugins?: string[]
    extraPlugins?: string[]
    repo?: string
    server?: Partial<ServerOptions>
    testModel?: Record<string, unknown>
  } = {},
): Promise<SessionHarness> {
  const llm = options.llm ?? new ScriptedLlm()
  if (!llm.url) {
    await llm.start()
    onCleanup(() => llm.close())
  }
  const repo = options.repo ?? gitRepo(options.files)
  // `testModel` replaces the model's entry (a small context, variants ...).
  writeScriptedConfig(
    repo,
    llm.url,
    options.config,
    options.testModel ?? {
      name: 'Test model',
      cost: { input: 1, output: 2 },
      limit: { context: 100000, output: 4096 },
    },
  )
  const server = await startServer({
    cwd: repo,
    only: [...PLUGINS, ...(options.extraPlugins ?? [])],
    dataDir: options.dataDir,
    plugins: options.plugins,
    ...options.server,
  })
  const events: EventPayload[] = []
  onCleanup(server.kernel.bus.subscribe((event) => events.push(event.payload), repo))

  const call: SessionHarness['call'] = async (method, url, payload) => {
    const response = await server.app.inject({
      method: method as 'GET',
      url,
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    const text = response.body
    return { status: response.statusCode, body: text ? JSON.parse(text) : undefined, headers: response.headers }
  }
  return {
    server,
    llm,
    repo,
    events,
    call,
    async createSession(body = {}) {
      const response = await call('POST', '/session', body)
      if (response.status !== 200)
        throw new Error(`create session: ${response.status} ${JSON.stringify(response.body)}`)
      return response.body
    },
    prompt: (sessionID, text, extra = {}) =>
      call('POST', `/session/${sessionID}/message`, { parts: [{ type: 'text', text }], ...extra }),
  }
}

export { until } from './wait.js'
