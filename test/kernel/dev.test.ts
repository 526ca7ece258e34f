// Dev mode: editing a plugin swaps it in on the running server; SSE streams, terminals (and their
// WebSockets) and everything kept by instances carry on; a broken edit leaves the old code serving.
import { expect } from 'chai'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { WebSocket } from 'ws'
import { PACKAGE_ROOT } from '../../kernel/core/version.js'
import { cleanup, gitRepo, listen, onCleanup, openSse, startServer, tempDir } from '../support/helper.js'
import { sessionHarness, until } from '../support/session.js'

/** A plugin in two files, so a reload must evaluate both afresh. */
function writePlugin(dir: string, message: string): void {
  mkdirSync(join(dir, 'hello'), { recursive: true })
  writeFileSync(
    join(dir, 'hello', 'index.js'),
    `import { message } from './message.js'
export default {
  name: 'hello',
  register(app, kernel) {
    app.get('/hello', { schema: { operationId: 'hello.get', tags: ['hello'] } }, async () => ({ message }))
  },
}
`,
  )
  writeFileSync(join(dir, 'hello', 'message.js'), message)
}

async function getJson(base: string, path: string): Promise<any> {
  const response = await fetch(base + path)
  return response.json()
}

describe('kernel: dev mode', () => {
  afterEach(cleanup)

  it('reloads an edited plugin on the same listener; streams and terminals carry on; a broken edit keeps the old code', async function () {
    this.timeout(30_000)
    const plugins = tempDir('ok-plugins-')
    writePlugin(plugins, `export const message = 'one'\n`)
    const repo = gitRepo()
    const server = await startServer({
      cwd: repo,
      dev: true,
      pluginDirs: [plugins, join(PACKAGE_ROOT, 'dist', 'plugins')],
      only: ['core', 'hello', 'pty'],
    })
    const base = await listen(server)
    expect(await getJson(base, '/hello')).to.deep.equal({ message: 'one' })

    const sse = await openSse(`${base}/global/event`)
    await sse.next((f) => f.data?.payload?.type === 'server.connected')
    const pty = (await (
      await fetch(`${base}/pty?directory=${encodeURIComponent(repo)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ command: 'bash', args: ['--noprofile', '--norc'] }),
      })
    ).json()) as { id: string }
    const socket = new WebSocket(
      `${base.replace('http', 'ws')}/pty/${pty.id}/connect?directory=${encodeURIComponent(repo)}`,
    )
    onCleanup(() => socket.terminate())
    let output = ''
    const closes: number[] = []
    socket.on('message', (data: Buffer, binary) => {
      if (!binary) output += data.toString('utf8')
    })
    socket.on('close', (code) => closes.push(code))
    await new Promise((resolve) => socket.once('open', resolve))

    writePlugin(plugins, `export const message = 'two'\n`)
    await sse.next(
      (f) => f.data?.payload?.type === 'server.reloaded' && f.data.payload.properties.generation === 1,
      10_000,
    )
    expect(await getJson(base, '/hello')).to.deep.equal({ message: 'two' })
    // The same SSE connection, the same terminal and its socket.
    expect(sse.response.destroyed).to.equal(false)
    socket.send('echo still-$((20+1))\r')
    await until(() => output.includes('still-21'), 5000, 'terminal output after the reload')
    expect(closes).to.deep.equal([])
    expect((await getJson(base, `/pty?directory=${encodeURIComponent(repo)}`)).map((p: any) => p.id)).to.deep.equal([
      pty.id,
    ])
    expect(server.app.printRoutes()).to.contain('hello')

    writePlugin(plugins, `export const message = 'three' +\n`)
    const failed = await sse.next(
      (f) => f.data?.payload?.type === 'server.reloaded' && f.data.payload.properties.ok === false,
      10_000,
    )
    expect(failed.data.payload.properties.error).to.be.a('string')
    expect(await getJson(base, '/hello')).to.deep.equal({ message: 'two' })
    socket.send('echo alive-$((1+1))\r')
    await until(() => output.includes('alive-2'), 5000, 'terminal output after a failed reload')

    writePlugin(plugins, `export const message = 'three'\n`)
    await sse.next(
      (f) =>
        f.data?.payload?.type === 'server.reloaded' &&
        f.data.payload.properties.ok === true &&
        f.data.payload.properties.generation === 3,
      10_000,
    )
    expect(await getJson(base, '/hello')).to.deep.equal({ message: 'three' })
    expect(closes).to.deep.equal([])
  })

  it('lets a prompt that is streaming finish across a reload, and answers a permission asked before it', async function () {
    this.timeout(30_000)
    const plugins = tempDir('ok-plugins-')
    writePlugin(plugins, `export const message = 'one'\n`)
    const h = await sessionHarness({
      extraPlugins: ['hello'],
      config: { permission: { bash: 'ask' } },
      server: { dev: true, pluginDirs: [plugins, join(PACKAGE_ROOT, 'dist', 'plugins')] },
    })
    const reloaded = (generation: number) => until(() => reloads.includes(generation), 10_000, `reload ${generation}`)
    const reloads: number[] = []
    onCleanup(
      h.server.kernel.bus.subscribe((event) => {
        if (event.payload.type === 'server.reloaded')
          reloads.push((event.payload.properties as { generation: number }).generation)
      }),
    )

    // A slow stream: the reload happens between its chunks.
    h.llm.script({ text: ['Hel', 'lo ', 'the', 're.'], delayMs: 150 })
    const session = await h.createSession()
    const streaming = h.prompt(session.id, 'greet slowly')
    await until(() => h.events.some((e: any) => e.type === 'message.part.delta'), 5000, 'the first delta')
    writePlugin(plugins, `export const message = 'two'\n`)
    await reloaded(1)
    const reply = await streaming
    expect(reply.status).to.equal(200)
    expect(reply.body.info.error).to.equal(undefined)
    expect(reply.body.parts.find((p: any) => p.type === 'text').text).to.equal('Hello there.')
    const stored = (await h.call('GET', `/session/${session.id}/message`)).body
    expect(stored[1].parts.find((p: any) => p.type === 'text').text).to.equal('Hello there.')
    expect(stored[1].info.time.completed).to.be.a('number')

    // A permission asked before a reload is answered through the reloaded plugin.
    h.llm.script(
      { toolCalls: [{ name: 'bash', args: { command: 'echo asked', description: 'echo' } }] },
      { text: 'Ran it.' },
    )
    const asking = h.prompt(session.id, 'run it')
    await until(() => h.events.some((e) => e.type === 'permission.asked'), 5000, 'permission.asked')
    const request = h.events.find((e) => e.type === 'permission.asked')!.properties as { id: string }
    writePlugin(plugins, `export const message = 'three'\n`)
    await reloaded(2)
    expect((await h.call('POST', `/permission/${request.id}/reply`, { reply: 'once' })).status).to.equal(200)
    const done = await asking
    expect(done.body.parts.find((p: any) => p.type === 'text').text).to.equal('Ran it.')
    const tool = (await h.call('GET', `/session/${session.id}/message`)).body
      .flatMap((m: any) => m.parts)
      .find((p: any) => p.type === 'tool')
    expect(tool.state.status).to.equal('completed')
    expect(tool.state.output).to.contain('asked')
  })
})
