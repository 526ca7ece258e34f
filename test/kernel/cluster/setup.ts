// Cluster nodes for the lease and forwarding tests: in-process servers on one PostgreSQL database.
import { expect } from 'chai'
import pg from 'pg'
import { gitRepo, listen, onCleanup, startServer, tempDir, type TestServer } from '../../support/helper.js'
import { ScriptedLlm } from '../../support/llm.js'
import { startServerProcess, writeScriptedConfig, type ServerProcess } from '../../support/server-process.js'
import { startPostgres, type TestPostgres } from '../../support/pg.js'

export const SECRET = 'cluster-secret-for-tests-0123456789'
/** Short, so expiry tests stay quick (renewed every 500 ms). */
export const TTL_MS = 1500

export interface Node {
  server: TestServer
  base: string
  call(
    method: string,
    path: string,
    payload?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any; headers: Headers }>
  /** `GET /global/node`: this server in its cluster. */
  node(): Promise<{ id: string; url?: string; backend: string; instances: string[]; database?: string }>
}

let postgres: TestPostgres | undefined
let databases = 0

/** One PostgreSQL server for the whole file (call in `before`); a fresh database per test. */
export async function database(): Promise<string> {
  postgres ??= await startPostgres({ cleanup: false })
  return postgres.createDatabase(`lease_${process.pid}_${++databases}`)
}

export async function stopPostgres(): Promise<void> {
  await postgres?.close()
  postgres = undefined
}

/** The rows of one statement, run straight on the database (a connection of its own). */
export async function sql<R = any>(url: string, text: string, params: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(text, params)).rows as R[]
  } finally {
    await client.end()
  }
}

/** Rows of `kernel_lease`, read straight from the database. */
export function leaseRows(url: string): Promise<{ directory: string; node_id: string; node_url: string }[]> {
  return sql(url, 'SELECT directory, node_id, node_url FROM kernel_lease ORDER BY directory')
}

export async function request(
  base: string,
  method: string,
  path: string,
  payload?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(new URL(path, base), {
    method,
    headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
  })
  const text = await response.text()
  return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers }
}

/** A cluster node on `url` with node id `id`. */
export async function node(
  url: string,
  id: string,
  options: { only?: string[]; cwd?: string; password?: string } = {},
): Promise<Node> {
  const server = await startServer({
    database: url,
    clusterSecret: SECRET,
    nodeId: id,
    leaseTtlMs: TTL_MS,
    cwd: options.cwd ?? tempDir('ok-cwd-'),
    only: options.only ?? ['core', 'pty'],
    password: options.password,
  })
  const base = await listen(server)
  return {
    server,
    base,
    call: (method, path, payload, headers) => request(base, method, path, payload, headers),
    async node() {
      const response = await request(base, 'GET', '/global/node')
      expect(response.status).to.equal(200)
      return response.body
    },
  }
}

/** A scripted LLM (closed by `cleanup()`) and a repository whose config points at it; `q` names the repository. */
export async function scriptedProject(config: Record<string, unknown> = {}, files?: Record<string, string>) {
  const llm = new ScriptedLlm()
  await llm.start()
  onCleanup(() => llm.close())
  const repo = gitRepo(files)
  writeScriptedConfig(repo, llm.url, config)
  return { llm, repo, q: `?directory=${encodeURIComponent(repo)}` }
}

export { onCleanup }

/**
 * A cluster node as a real `opencode-kernel serve` process, for tests that kill or pause it (ended
 * by `cleanup()`, resumed first if it was stopped). `log()` is its log (pino, on stdout).
 */
export async function nodeProcess(
  url: string,
  id: string,
  ttlMs?: number,
): Promise<ServerProcess & { stdout: () => string }> {
  const process = await startServerProcess({
    cwd: tempDir('ok-cwd-'),
    dataDir: tempDir('ok-data-'),
    configHome: tempDir('ok-config-'),
    env: {
      OPENCODE_KERNEL_DATABASE_URL: url,
      OPENCODE_KERNEL_CLUSTER_SECRET: SECRET,
      OPENCODE_KERNEL_NODE_ID: id,
      ...(ttlMs === undefined ? {} : { OPENCODE_KERNEL_LEASE_TTL_MS: String(ttlMs) }),
    },
  })
  let stdout = ''
  process.child.stdout!.on('data', (chunk: string) => (stdout += chunk))
  onCleanup(async () => {
    process.child.kill('SIGCONT')
    await process.stop('SIGKILL')
  })
  return Object.assign(process, { stdout: () => stdout })
}
