import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import pg from 'pg'
import { PACKAGE_ROOT } from '../../../kernel/core/version.js'
import { cleanup, onCleanup, TEST_CLUSTER_SECRET, tempDir } from '../../support/helper.js'
import { startPostgres } from '../../support/pg.js'
import { startServerProcess } from '../../support/server-process.js'

/** Runs `opencode-kernel serve` until it exits (or prints its URL): exit code, stderr, how long it took. */
async function serve(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stderr: string; stdout: string; ms: number }> {
  const started = Date.now()
  const child = spawn(process.execPath, ['bin/opencode-kernel.js', 'serve', '--port', '0', ...args], {
    cwd: PACKAGE_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      OPENCODE_KERNEL_DATA: tempDir(),
      XDG_CONFIG_HOME: tempDir(),
      LOG_LEVEL: 'error',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = once(child, 'exit')
  onCleanup(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    // A server that starts is not what these tests expect: end it, the assertions say why.
    if (/listening on /.test(stdout)) child.kill('SIGTERM')
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const [code] = (await exited) as [number | null]
  return { code, stderr, stdout, ms: Date.now() - started }
}

describe('kernel: cluster start-up errors (command line)', () => {
  after(cleanup)

  it('refuses a database value it cannot read, with exit code 1 and one clear line', async function () {
    this.timeout(20000)
    const result = await serve(['--database', 'nonsense'])
    expect(result.stdout).not.to.contain('listening on')
    expect(result.code).to.equal(1)
    expect(result.stderr.trim()).to.equal(
      'opencode-kernel: database must be postgres://user:password@host:port/name or sqlite:<file>, got "nonsense"',
    )
  })

  it('reads OPENCODE_KERNEL_DATABASE_URL like --database', async function () {
    this.timeout(20000)
    const result = await serve([], { OPENCODE_KERNEL_DATABASE_URL: 'postgres:///opencode' })
    expect(result.code).to.equal(1)
    expect(result.stderr.trim()).to.equal('opencode-kernel: database URL names no host: postgres:///opencode')
  })

  it('refuses PostgreSQL without OPENCODE_KERNEL_CLUSTER_SECRET', async function () {
    this.timeout(20000)
    const result = await serve(['--database', 'postgres://kernel@127.0.0.1:1/opencode'])
    expect(result.stdout).not.to.contain('listening on')
    expect(result.code).to.equal(1)
    expect(result.stderr).to.contain('OPENCODE_KERNEL_CLUSTER_SECRET must be set')
  })

  it('exits with a clear line within seconds when nothing listens at the database address', async function () {
    this.timeout(30000)
    const result = await serve(['--database', 'postgres://kernel:hunter2@127.0.0.1:1/opencode'], {
      OPENCODE_KERNEL_CLUSTER_SECRET: TEST_CLUSTER_SECRET,
    })
    expect(result.stdout).not.to.contain('listening on')
    expect(result.code).to.equal(1)
    expect(result.stderr).to.match(/^opencode-kernel: .*database/im)
    expect(result.stderr).to.contain('127.0.0.1:1')
    expect(result.stderr).not.to.contain('hunter2')
    expect(result.ms).to.be.below(10_000)
  })

  it('starts as a cluster node on a PostgreSQL database it reaches, and stops cleanly on SIGTERM', async function () {
    this.timeout(60000)
    const postgres = await startPostgres()
    const database = await postgres.createDatabase()
    const server = await startServerProcess({
      cwd: tempDir(),
      dataDir: tempDir(),
      configHome: tempDir(),
      env: { OPENCODE_KERNEL_DATABASE_URL: database, OPENCODE_KERNEL_CLUSTER_SECRET: TEST_CLUSTER_SECRET },
    })
    onCleanup(() => server.stop('SIGKILL'))
    const health = await server.call('GET', '/global/health')
    expect(health.status).to.equal(200)
    expect(health.body).to.include({ healthy: true })
    // A node follows the others (LISTEN): it holds a connection to the database while it serves.
    const connections = async () => {
      const client = new pg.Client({ connectionString: postgres.url() })
      await client.connect()
      try {
        return Number(
          (
            await client.query('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1', [
              new URL(database).pathname.slice(1),
            ])
          ).rows[0].n,
        )
      } finally {
        await client.end()
      }
    }
    expect(await connections()).to.be.above(0)
    expect(await server.stop('SIGTERM')).to.equal(0)
    expect(await connections()).to.equal(0)
  })

  it('exits with a clear line when the PostgreSQL server has no such database', async function () {
    this.timeout(60000)
    const postgres = await startPostgres()
    const result = await serve(['--database', postgres.url('missing_database')], {
      OPENCODE_KERNEL_CLUSTER_SECRET: TEST_CLUSTER_SECRET,
    })
    expect(result.stdout).not.to.contain('listening on')
    expect(result.code).to.equal(1)
    expect(result.stderr).to.match(/^opencode-kernel: .*database/im)
    expect(result.stderr).to.contain('missing_database')
  })
})
