import { expect } from 'chai'
import { existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import {
  cleanup,
  databaseEnv,
  databaseFor,
  startServer,
  TEST_CLUSTER_SECRET,
  tempDir,
  testDatabaseUrl,
} from './helper.js'
import { startPostgres, type TestPostgres } from './pg.js'

async function query(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return (await client.query(sql)).rows
  } finally {
    await client.end()
  }
}

function refused(url: string): Promise<string> {
  return query(url, 'SELECT 1').then(
    () => 'connected',
    (error: { code?: string }) => error.code ?? 'error',
  )
}

describe('test fixture: a throwaway PostgreSQL server', () => {
  let postgres: TestPostgres
  before(async function () {
    this.timeout(60000)
    postgres = await startPostgres()
  })
  after(cleanup)

  it('listens on loopback with trust authentication, tuned for tests', async () => {
    expect(postgres.url()).to.equal(`postgres://postgres@127.0.0.1:${postgres.port}/postgres`)
    const [settings] = await query(
      postgres.url(),
      "SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sync, current_setting('max_connections') AS max, current_setting('listen_addresses') AS listen",
    )
    expect(settings).to.deep.equal({ fsync: 'off', sync: 'off', max: '300', listen: '127.0.0.1' })
  })

  it('creates databases (named or not) and drops them, connections and all', async () => {
    const named = await postgres.createDatabase('fixture_named')
    expect(named).to.equal(postgres.url('fixture_named'))
    const anonymous = await postgres.createDatabase()
    expect(anonymous).to.match(/\/test_[0-9a-f]{12}$/)
    const open = new pg.Client({ connectionString: named })
    open.on('error', () => {})
    await open.connect()
    await postgres.dropDatabase('fixture_named')
    expect(await refused(named)).to.equal('3D000')
    await postgres.dropDatabase('fixture_named')
    await open.end().catch(() => {})
    await postgres.createDatabase('Robert"; DROP').then(
      () => expect.fail('accepted'),
      (error: Error) => expect(error.message).to.contain('database name must be'),
    )
  })

  it('stops keeping its data, and starts again on the same port', async function () {
    this.timeout(60000)
    const url = await postgres.createDatabase('fixture_kept')
    await query(url, 'CREATE TABLE kept (value text); INSERT INTO kept VALUES ($$still here$$)')
    const port = postgres.port
    await postgres.stop()
    expect(await refused(url)).to.equal('ECONNREFUSED')
    await postgres.start()
    expect(postgres.port).to.equal(port)
    expect(await query(url, 'SELECT value FROM kept')).to.deep.equal([{ value: 'still here' }])
  })

  it('removes everything on close', async function () {
    this.timeout(60000)
    const other = await startPostgres({ cleanup: false })
    const dirs = (await query(other.url(), "SELECT current_setting('data_directory') AS data"))[0]!.data as string
    expect(existsSync(dirs)).to.equal(true)
    await other.close()
    expect(await refused(other.url())).to.equal('ECONNREFUSED')
    expect(existsSync(join(dirs, '..'))).to.equal(false)
    await other.close()
  })
})

describe('test harness: the database of a test server', () => {
  after(cleanup)

  it('is the data dir SQLite file on SQLite runs, else one database per data dir', async function () {
    this.timeout(30000)
    const dataDir = tempDir('ok-data-')
    const server = await startServer({ dataDir, only: [] })
    const url = await databaseFor(dataDir)
    if (!testDatabaseUrl()) {
      expect(url).to.equal(undefined)
      expect(await databaseEnv(dataDir)).to.deep.equal({})
      expect(server.kernel.cluster).to.equal(undefined)
      expect(server.kernel.storage.file).to.equal(join(dataDir, 'opencode-kernel.db'))
      return
    }
    expect(url).to.match(/^postgres:\/\/.*\/ok_[0-9a-f]{24}$/)
    expect(await databaseFor(dataDir)).to.equal(url)
    expect(await databaseFor(tempDir('ok-data-'))).not.to.equal(url)
    expect(await databaseEnv(dataDir)).to.deep.equal({
      OPENCODE_KERNEL_DATABASE_URL: url,
      OPENCODE_KERNEL_CLUSTER_SECRET: TEST_CLUSTER_SECRET,
    })
    expect(server.kernel.cluster).not.to.equal(undefined)
    expect(server.kernel.cluster!.secret).to.equal(TEST_CLUSTER_SECRET)
    // Once its data dir is gone (cleaned up), the database goes with the next one created.
    await server.close()
    rmSync(dataDir, { recursive: true, force: true })
    await databaseFor(tempDir('ok-data-'))
    expect(await refused(url!)).to.equal('3D000')
  })
})
