import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { PACKAGE_ROOT } from '../../kernel/core/version.js'
import { cleanup, databaseEnv, onCleanup, sleep, tempDir } from '../support/helper.js'

/** Starts the command with `LOG_LEVEL`, and collects what it prints. */
async function startCli(level: string) {
  const dataDir = tempDir()
  const child = spawn(process.execPath, ['bin/opencode-kernel.js', 'serve', '--port', '0'], {
    cwd: PACKAGE_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      OPENCODE_KERNEL_DATA: dataDir,
      XDG_CONFIG_HOME: tempDir(),
      LOG_LEVEL: level,
      ...(await databaseEnv(dataDir)),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  onCleanup(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL')
      await once(child, 'exit')
    }
  })
  let text = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
  while (!/listening on /.test(text)) {
    if (child.exitCode !== null) throw new Error(`server exited: ${text}`)
    await sleep(20)
  }
  const url = text.match(/listening on (http:\/\/\S+)/)![1]!
  const lines = () =>
    text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  return { url, lines }
}

describe('kernel: request logging', () => {
  after(cleanup)

  it('logs each request at debug, with method, url, status and time', async function () {
    this.timeout(20000)
    const cli = await startCli('debug')
    await (await fetch(`${cli.url}/global/health`)).json()
    await (await fetch(`${cli.url}/no/such/route`)).json()
    let logged: Record<string, unknown>[] = []
    for (let i = 0; i < 100 && logged.length < 2; i++, await sleep(20))
      logged = cli.lines().filter((line) => line.msg === 'request')
    expect(logged.map((line) => [line.method, line.url, line.status])).to.deep.equal([
      ['GET', '/global/health', 200],
      ['GET', '/no/such/route', 404],
    ])
    expect(logged[0]!.level).to.equal(20)
    expect(logged[0]!.ms).to.be.a('number')
  })

  it('writes nothing per request at the default level', async function () {
    this.timeout(20000)
    const cli = await startCli('info')
    // The start-up lines, up to Fastify's (on PostgreSQL runs, the database's too).
    const listening = () => cli.lines().filter((line) => /^Server listening/.test(String(line.msg)))
    for (let i = 0; i < 100 && listening().length === 0; i++) await sleep(20)
    expect(listening()).to.have.length(1)
    const startUp = cli.lines()
    for (let i = 0; i < 5; i++) await (await fetch(`${cli.url}/global/health`)).json()
    await (await fetch(`${cli.url}/no/such/route`)).json()
    await sleep(200)
    // No request was logged.
    expect(cli.lines()).to.deep.equal(startUp)
  })
})
