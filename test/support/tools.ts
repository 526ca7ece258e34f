import type { Instance } from '../../kernel/instances/instance.js'
import type { PermissionAsk, ToolContext, ToolResult } from '../../kernel/core/tools.js'
import type { EventPayload } from '../../kernel/events/bus.js'
import { gitRepo, onCleanup, startServer, type TestServer } from './helper.js'

export interface ToolRun {
  result?: ToolResult
  error?: Error
  /** Every permission the tool asked, in order. */
  asks: PermissionAsk[]
  /** Every metadata update while it ran. */
  updates: { title?: string; metadata?: Record<string, unknown> }[]
}

export interface ToolHarness {
  server: TestServer
  repo: string
  instance: Instance
  /** Events published for the repo, in order. */
  events: EventPayload[]
  /**
   * Runs a registered tool the way the session runs it. `ask` decides each permission
   * (default: allow everything); `signal` aborts it.
   */
  run(
    toolID: string,
    args: Record<string, unknown>,
    options?: { ask?: (request: PermissionAsk) => void | Promise<void>; signal?: AbortSignal; sessionID?: string },
  ): Promise<ToolRun>
}

/** A server with the `tools` plugin (plus `plugins`) on a real git repo holding `files`. */
export async function toolHarness(
  options: { files?: Record<string, string>; plugins?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<ToolHarness> {
  const repo = gitRepo(options.files)
  const server = await startServer({
    cwd: repo,
    only: ['core', 'agent', 'tools', ...(options.plugins ?? [])],
    env: options.env,
  })
  const instance = await server.kernel.instances.get(repo)
  const events: EventPayload[] = []
  onCleanup(server.kernel.bus.subscribe((event) => events.push(event.payload), repo))
  let calls = 0
  return {
    server,
    repo,
    instance,
    events,
    async run(toolID, args, runOptions = {}) {
      const tool = server.kernel.tools.get(toolID)
      if (!tool) throw new Error(`no tool ${toolID}`)
      const run: ToolRun = { asks: [], updates: [] }
      const context: ToolContext = {
        instance,
        sessionID: runOptions.sessionID ?? 'ses_test',
        messageID: 'msg_test',
        callID: `call_${++calls}`,
        agent: 'build',
        abort: runOptions.signal ?? new AbortController().signal,
        metadata: (update) => run.updates.push(structuredClone(update)),
        ask: async (request) => {
          run.asks.push(request)
          await runOptions.ask?.(request)
        },
      }
      try {
        run.result = await tool.execute(args as never, context)
      } catch (error) {
        run.error = error as Error
      }
      return run
    },
  }
}
