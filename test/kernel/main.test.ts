import { expect } from 'chai'
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { PACKAGE_ROOT } from '../../kernel/core/version.js'
import { cleanup, databaseEnv, onCleanup, tempDir } from '../support/helper.js'

async function startCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
  const dataDir = tempDir()
  const child = spawn(process.execPath, ['bin/opencode-kernel.js', ...args], {
    cwd: PACKAGE_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      OPENCODE_KERNEL_DATA: dataDir,
      XDG_CONFIG_HOME: tempDir(),
      LOG_LEVEL: 'error',
      ...(await databaseEnv(dataDir)),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  onCleanup(() => child.kill('SIGKILL'))
  return child
}

function output(stream: NodeJS.ReadableStream, pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    let text = ''
    stream.setEncoding('utf8')
    stream.on('data', (chunk: string) => {
      text += chunk
      const match = text.match(pattern)
      if (match) resolve(match)
    })
    stream.on('end', () => reject(new Error(`stream ended without ${pattern}: ${text}`)))
  })
}

describe('kernel: command line', () => {
  after(cleanup)

  it('serves on the given port, prints the URL, and closes open streams on SIGTERM within 5 s', async function () {
    this.timeout(15000)
    const child = await startCli(['serve', '--port', '0', '--hostname', '127.0.0.1'])
    const [, url] = await output(child.stdout!, /listening on (http:\/\/127\.0\.0\.1:\d+)/)
    const health = await fetch(`${url}/global/health`)
    expect(await health.json()).to.include({ healthy: true })
    const stream = await fetch(`${url}/event`)
    const reader = stream.body!.getReader()
    await reader.read()
    const started = Date.now()
    child.kill('SIGTERM')
    const [code] = await once(child, 'exit')
    expect(code).to.equal(0)
    expect(Date.now() - started).to.be.below(5000)
    // The SSE stream was ended by the server, not cut.
    let done = false
    while (!done) done = (await reader.read()).done
  })

  it('refuses a non-loopback hostname without a password', async () => {
    const child = await startCli(['serve', '--port', '0', '--hostname', '0.0.0.0'])
    const [message] = await output(child.stderr!, /without a password/)
    expect(message).to.equal('without a password')
    const [code] = await once(child, 'exit')
    expect(code).to.equal(1)
  })

  it('rejects a bad port', async () => {
    const child = await startCli(['serve', '--port', 'abc'])
    await output(child.stderr!, /--port must be a number/)
    const [code] = await once(child, 'exit')
    expect(code).to.equal(2)
  })
})
