// Running language servers per instance: started when a file they handle is edited, asked for
// that file's diagnostics and for workspace symbols, stopped with the instance.
import type { LspKernel } from './index.js'
import { extname, relative } from 'node:path'
import { type Instance } from '../../sdk/index.js'
import { findExecutable } from '../../sdk/executable.js'
import { LspClient, type LspDiagnostic, type LspSymbol } from './client.js'
import { LspUpdated } from './events.js'
import type { LSPStatus } from './schemas.js'
import { configuredServers } from './service.js'

/** How long an edit waits for the servers' diagnostics of the file. */
const DIAGNOSTICS_TIMEOUT_MS = 3000
/** Errors reported to the model per file, at most. */
const MAX_ERRORS = 20
/** Symbols answered at most. */
const MAX_SYMBOLS = 200
/** After the n-th failed start (or exit) a server is started again no sooner than 1 s · 2^(n-1), at most 5 min. */
const RETRY_BASE_MS = 1000
const RETRY_MAX_MS = 5 * 60_000

interface Running {
  name: string
  starting?: Promise<LspClient | undefined>
  client?: LspClient
  /** Failed starts and exits so far in this instance. */
  failures: number
  /** The last failure, and when the server may be started again (on the next edit of a file it handles). */
  error?: string
  retryAt?: number
}

/** What `GET /lsp` adds for a server this instance started (or tried to). */
export interface RunningStatus {
  status: 'connected' | 'error'
  error?: string
  attempts?: number
  retryAt?: number
}

export function formatDiagnostic(diagnostic: LspDiagnostic): string {
  const { line, character } = diagnostic.range.start
  return `ERROR [${line + 1}:${character + 1}] ${diagnostic.message}`
}

export class LspClients {
  constructor(private readonly kernel: LspKernel) {}

  private running(instance: Instance): Map<string, Running> {
    return instance.state<Map<string, Running>>(
      'lsp.clients',
      () => new Map(),
      async (running) => {
        await Promise.all([...running.values()].map(async (entry) => (await entry.starting)?.stop()))
        running.clear()
      },
    )
  }

  /** `connected`, or `error` with the failures and the next retry, for a server this instance started (or tried to). */
  status(instance: Instance, id: string): RunningStatus | undefined {
    const entry = this.running(instance).get(id)
    if (!entry) return undefined
    if (entry.client?.alive) return { status: 'connected' }
    if (entry.client && !entry.error) this.failed(entry, `${id} exited`)
    if (!entry.failures) return undefined
    return {
      status: 'error',
      attempts: entry.failures,
      ...(entry.error ? { error: entry.error } : {}),
      ...(entry.retryAt ? { retryAt: entry.retryAt } : {}),
    }
  }

  private failed(entry: Running, error: string): void {
    entry.failures++
    entry.error = error
    entry.retryAt = Date.now() + Math.min(RETRY_BASE_MS * 2 ** (entry.failures - 1), RETRY_MAX_MS)
  }

  /** The servers this instance started or tried to start (one still starting is left out), as OpenCode lists them. */
  list(instance: Instance): LSPStatus[] {
    return [...this.running(instance).entries()].flatMap(([id, entry]) => {
      const status = this.status(instance, id)
      return status ? [{ id, name: entry.name, root: instance.worktree, status: status.status }] : []
    })
  }

  /** The servers for `file`'s extension, started on first need. */
  private async clientsFor(instance: Instance, file: string): Promise<LspClient[]> {
    const extension = extname(file)
    const running = this.running(instance)
    const scope = { directory: instance.directory, worktree: instance.worktree, env: this.kernel.env }
    const clients: LspClient[] = []
    for (const server of configuredServers(this.kernel.config(instance))) {
      if (server.disabled || !server.extensions.includes(extension) || !server.command[0]) continue
      let entry = running.get(server.id)
      if (entry?.client && !entry.client.alive && !entry.error) this.failed(entry, `${server.id} exited`)
      // A server that failed is tried again on a later edit, once its backoff has passed.
      if (entry?.error && Date.now() < entry.retryAt!) continue
      if (!entry || entry.error) {
        const program = findExecutable(server.command[0], scope)
        if (!program) continue
        const started: Running = { name: server.name, failures: entry?.failures ?? 0 }
        started.starting = LspClient.start({
          id: server.id,
          program,
          args: server.command.slice(1),
          root: instance.worktree,
          env: { ...this.kernel.env, ...server.env },
          initialization: server.initialization,
          track: (child) => this.kernel.processes.track(child, { label: `lsp ${server.id}`, group: true, instance }),
        }).then(
          (client) => {
            started.client = client
            if (!instance.isDisposed) this.kernel.publish(instance, LspUpdated, {})
            return client
          },
          (error: unknown) => {
            this.failed(started, error instanceof Error ? error.message : String(error))
            this.kernel.log.warn(
              { server: server.id, err: error, attempts: started.failures, retryAt: started.retryAt },
              'language server failed to start',
            )

            if (!instance.isDisposed) this.kernel.publish(instance, LspUpdated, {})
            return undefined
          },
        )
        running.set(server.id, (entry = started))
      }
      const client = await entry.starting
      if (client?.alive) clients.push(client)
    }
    return clients
  }

  /** The post-edit hook: the file's errors from every server for it, as a note for the model. */
  async diagnostics(instance: Instance, file: string): Promise<string | void> {
    const clients = await this.clientsFor(instance, file)
    const errors: LspDiagnostic[] = []
    for (const client of clients) {
      try {
        const uri = await client.sync(file)
        errors.push(...(await client.diagnosticsOf(uri, DIAGNOSTICS_TIMEOUT_MS)).filter((d) => (d.severity ?? 1) === 1))
      } catch (error) {
        this.kernel.log.warn({ server: client.id, err: error }, 'language server diagnostics failed')
      }
    }
    if (!errors.length) return
    const shown = errors.slice(0, MAX_ERRORS).map(formatDiagnostic)
    if (errors.length > MAX_ERRORS) shown.push(`... and ${errors.length - MAX_ERRORS} more`)
    return `This file has errors, please fix:\n<diagnostics file="${relative(instance.worktree, file)}">\n${shown.join('\n')}\n</diagnostics>`
  }

  /** Workspace symbols matching `query` from the running servers. */
  async symbols(instance: Instance, query: string): Promise<LspSymbol[]> {
    const clients = [...this.running(instance).values()].flatMap((entry) => (entry.client?.alive ? [entry.client] : []))
    const found = await Promise.all(
      clients.map((client) => client.workspaceSymbols(query).catch(() => [] as LspSymbol[])),
    )
    return found.flat().slice(0, MAX_SYMBOLS)
  }
}
