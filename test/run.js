// Runs the compiled mocha suite and ends with the line CI reads: "N passed, N failed".
// OPENCODE_KERNEL_TEST_DATABASE=postgres runs it on PostgreSQL: one throwaway server for the run
// (test/pg.ts), each test server on a database of its own (test/helper.ts `databaseFor`);
// `=postgres://…` uses that server instead (the user must be allowed to create databases).
import Mocha from 'mocha'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('../dist/test/', import.meta.url).pathname
// `npm test` puts this package's node_modules/.bin on PATH: a server a user runs has none of our dev
// tools (prettier, eslint) there, and plugins that look for programs on PATH (formatters) must
// not find them.
const ownBin = new URL('../node_modules/.bin', import.meta.url).pathname
process.env.PATH = (process.env.PATH ?? '')
  .split(':')
  .filter((dir) => dir.replace(/\/$/, '') !== ownBin)
  .join(':')
const filter = process.argv[2]

function testFiles(dir) {
  const out = []
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry)
    if (entry === 'fixtures') continue
    if (statSync(path).isDirectory()) out.push(...testFiles(path))
    else if (entry.endsWith('.test.js') && (!filter || path.includes(filter))) out.push(path)
  }
  return out
}

const database = process.env.OPENCODE_KERNEL_TEST_DATABASE ?? ''
let postgres
if (database === 'postgres') {
  const { startPostgres } = await import('../dist/test/support/pg.js')
  postgres = await startPostgres({ cleanup: false })
  process.env.OPENCODE_KERNEL_TEST_DATABASE_URL = postgres.url()
  // Ctrl-C: exit through the `exit` handler that stops the server.
  process.once('SIGINT', () => process.exit(130))
  console.log(`tests on PostgreSQL: a throwaway server on port ${postgres.port}`)
} else if (/^postgres(ql)?:\/\//i.test(database)) {
  process.env.OPENCODE_KERNEL_TEST_DATABASE_URL = database
  console.log('tests on PostgreSQL: the server of OPENCODE_KERNEL_TEST_DATABASE')
} else if (database !== '' && database !== 'sqlite') {
  console.error(
    `OPENCODE_KERNEL_TEST_DATABASE must be sqlite (the default), postgres (a throwaway server) or postgres://…, got "${database}"`,
  )
  process.exit(2)
}

// The cluster tests and the fixture's own start a PostgreSQL server of their own on every run:
// the PostgreSQL run does not repeat them (the SQLite run, `npm test`, has run them already).
const ownPostgres = (path) => path.includes('/kernel/cluster/') || path.endsWith('/support/pg.test.js')
const mocha = new Mocha({ reporter: 'spec', timeout: 20000, slow: 1000 })
for (const file of testFiles(root))
  if (!(database && database !== 'sqlite' && ownPostgres(file) && !filter)) mocha.addFile(file)
await mocha.loadFilesAsync()
// Each file's wall time (its top-level suites), for the slowest-files list at the end: where a
// run's minutes go, in CI's log.
const fileTimes = new Map()
const runner = mocha.run(async (failures) => {
  const { passes = 0, failures: failed = 0, pending = 0 } = runner.stats ?? {}
  process.exitCode = failures > 0 ? 1 : 0
  // Lingering handles (a leaked socket, a child) must not hang CI after the report.
  setTimeout(() => process.exit(process.exitCode), 2000).unref()
  if (process.env.OPENCODE_KERNEL_TEST_DATABASE_URL) {
    const { dropTestDatabases } = await import('../dist/test/support/helper.js')
    await dropTestDatabases().catch((error) => console.error(`dropping the test databases failed: ${error.message}`))
  }
  await postgres
    ?.close()
    .catch((error) => console.error(`stopping the test PostgreSQL server failed: ${error.message}`))
  const slowest = [...fileTimes].sort((a, b) => b[1] - a[1]).slice(0, 12)
  if (slowest.length > 1) {
    console.log('\nslowest files:')
    for (const [file, ms] of slowest)
      console.log(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${file.slice(root.length)}`)
  }
  console.log(`\n${passes} passed, ${Math.max(failed, failures)} failed${pending ? `, ${pending} skipped` : ''}`)
})
const started = new Map()
runner.on('suite', (suite) => {
  if (suite.file && suite.parent?.root) started.set(suite, Date.now())
})
runner.on('suite end', (suite) => {
  const begun = started.get(suite)
  if (begun !== undefined) fileTimes.set(suite.file, (fileTimes.get(suite.file) ?? 0) + Date.now() - begun)
})
