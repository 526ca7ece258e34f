import { expect } from 'chai'
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { PACKAGE_ROOT } from '../../../kernel/core/version.js'
import { fixtureServer } from '../../fixtures/mcp/server.js'
import { oauthFixture } from '../../fixtures/mcp/oauth-server.js'
import { cleanup, onCleanup, tempDir } from '../../support/helper.js'
import { sessionHarness, until } from '../../support/session.js'

const FIXTURE = join(PACKAGE_ROOT, 'dist', 'test', 'fixtures', 'mcp', 'server.js')
const local = (extra: Record<string, unknown> = {}) => ({
  type: 'local',
  command: [process.execPath, FIXTURE],
  ...extra,
})

function mcpHarness(mcp: Record<string, unknown>) {
  return sessionHarness({ extraPlugins: ['config', 'mcp'], config: { mcp } })
}

/** The fixture served over Streamable HTTP, requiring `Authorization: Bearer t0k`. */
async function remoteFixture(): Promise<string> {
  const transports = new Map<string, StreamableHTTPServerTransport>()
  const server: HttpServer = createServer(async (req: IncomingMessage, res) => {
    if (req.headers.authorization !== 'Bearer t0k') {
      res.writeHead(401).end('unauthorized')
      return
    }
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined
    const id = req.headers['mcp-session-id']
    let transport = typeof id === 'string' ? transports.get(id) : undefined
    if (!transport) {
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: randomUUID,
        onsessioninitialized: (sid) => void transports.set(sid, transport!),
      })
      await fixtureServer().connect(transport)
    }
    await transport.handleRequest(req, res, body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onCleanup(async () => {
    for (const transport of transports.values()) await transport.close()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`
}

const toolParts = (message: any) => message.parts.filter((p: any) => p.type === 'tool')

describe('plugin: mcp', () => {
  afterEach(cleanup)

  it('connects configured servers and reports each status', async () => {
    const h = await mcpHarness({
      fixture: local(),
      off: local({ enabled: false }),
      broken: { type: 'local', command: ['/nonexistent/bin'] },
      invalid: { type: 'weird' },
      toggled: { enabled: false },
    })
    const status = (await h.call('GET', '/mcp')).body
    expect(status.fixture).to.deep.equal({ status: 'connected' })
    expect(status.off).to.deep.equal({ status: 'disabled' })
    expect(status.toggled).to.deep.equal({ status: 'disabled' })
    expect(status.broken.status).to.equal('failed')
    expect(status.broken.error).to.match(/ENOENT|spawn/)
    expect(status.invalid.status).to.equal('failed')
    const ids = (await h.call('GET', '/experimental/tool/ids')).body
    expect(ids).to.include.members(['fixture_echo', 'fixture_add', 'fixture_fail', 'fixture_slow'])
    expect(ids.some((id: string) => id.startsWith('off_'))).to.equal(false)
    const tools = (await h.call('GET', '/experimental/tool?provider=scripted&model=test-model')).body
    expect(tools.find((t: any) => t.id === 'fixture_add')).to.deep.include({ description: 'Adds two numbers' })
    expect(tools.find((t: any) => t.id === 'fixture_add').parameters.required).to.deep.equal(['a', 'b'])
    expect((await h.call('GET', '/experimental/resource')).body).to.deep.equal({
      'fixture:fixture://readme': {
        name: 'readme',
        uri: 'fixture://readme',
        mimeType: 'text/plain',
        client: 'fixture',
      },
    })
  })

  it('lets the model call MCP tools: text, errors, images, environment and directory', async () => {
    const h = await mcpHarness({ fixture: local({ environment: { FIXTURE_VAR: 'from-config' } }) })
    h.llm.script(
      {
        toolCalls: [
          { name: 'fixture_add', args: { a: 2, b: 3 } },
          { name: 'fixture_fail', args: {} },
          { name: 'fixture_picture', args: {} },
          { name: 'fixture_env', args: { name: 'FIXTURE_VAR' } },
          { name: 'fixture_add', args: { a: 'x' } },
        ],
      },
      { text: 'Done.' },
    )
    const session = await h.createSession()
    expect((await h.prompt(session.id, 'use the tools')).status).to.equal(200)
    const [add, fail, picture, env, invalid] = toolParts(
      (await h.call('GET', `/session/${session.id}/message`)).body[1],
    )
    expect(add.state).to.include({ status: 'completed', output: '5' })
    expect(fail.state).to.include({ status: 'error', error: 'it broke' })
    expect(picture.state.output).to.equal('a pixel')
    expect(picture.state.attachments[0]).to.include({ mime: 'image/png', type: 'file' })
    expect(picture.state.attachments[0].url).to.match(/^data:image\/png;base64,/)
    expect(env.state.output).to.match(new RegExp(`^from-config ${h.repo} \\d+$`))
    expect(invalid.state.status).to.equal('error')
    expect(invalid.state.error).to.contain('invalid arguments')
    // The model got the results.
    expect(JSON.stringify(h.llm.requests[1]!.body.messages)).to.contain('it broke')
  })

  it('follows tool list changes and cancels a call when the prompt is aborted', async () => {
    const h = await mcpHarness({ fixture: local() })
    const marker = join(tempDir(), 'cancelled')
    h.llm.script(
      { toolCalls: [{ name: 'fixture_grow', args: {} }] },
      { text: 'grown' },
      { toolCalls: [{ name: 'fixture_slow', args: { ms: 60_000, marker } }] },
      { text: 'never' },
    )
    const session = await h.createSession()
    await h.prompt(session.id, 'grow')
    await until(
      () => h.events.some((e: any) => e.type === 'mcp.tools.changed' && e.properties.server === 'fixture'),
      5000,
      'mcp.tools.changed',
    )
    expect((await h.call('GET', '/experimental/tool/ids')).body).to.include('fixture_extra')

    const running = h.prompt(session.id, 'be slow')
    await until(
      () =>
        h.events.some(
          (e: any) =>
            e.type === 'message.part.updated' &&
            e.properties.part.tool === 'fixture_slow' &&
            e.properties.part.state.status === 'running',
        ),
      5000,
      'slow call',
    )
    // An abort before the request reaches the server has nothing to cancel there: wait for it.
    await until(() => existsSync(`${marker}.started`), 5000, 'the slow call to reach the server')
    await h.call('POST', `/session/${session.id}/abort`)
    const reply = await running
    expect(reply.body.info.error.name).to.equal('MessageAbortedError')
    await until(() => existsSync(marker), 5000, 'the server to see the cancellation')
    expect(readFileSync(marker, 'utf8')).to.equal('cancelled')
  })

  it('disconnects and reconnects servers; unknown names are 404', async () => {
    const h = await mcpHarness({ fixture: local() })
    expect((await h.call('GET', '/mcp')).body.fixture.status).to.equal('connected')
    expect((await h.call('POST', '/mcp/fixture/disconnect')).body).to.equal(true)
    expect((await h.call('GET', '/mcp')).body.fixture).to.deep.equal({ status: 'disabled' })
    expect((await h.call('GET', '/experimental/tool/ids')).body).not.to.include('fixture_echo')
    expect((await h.call('POST', '/mcp/fixture/connect')).body).to.equal(true)
    expect((await h.call('GET', '/mcp')).body.fixture).to.deep.equal({ status: 'connected' })
    expect((await h.call('GET', '/experimental/tool/ids')).body).to.include('fixture_echo')
    for (const [method, url] of [
      ['POST', '/mcp/nope/connect'],
      ['POST', '/mcp/nope/disconnect'],
      ['POST', '/mcp/nope/auth'],
      ['DELETE', '/mcp/nope/auth'],
    ] as const) {
      const response = await h.call(method, url)
      expect(response.status, url).to.equal(404)
      expect(response.body).to.deep.equal({
        name: 'McpServerNotFoundError',
        data: { message: 'MCP server not found: nope', name: 'nope' },
      })
    }
    const localAuth = await h.call('POST', '/mcp/fixture/auth')
    expect(localAuth.status).to.equal(400)
    expect(localAuth.body.name).to.equal('McpUnsupportedOAuthError')
  })

  it('adds servers at run time, remote ones with headers, without touching the config file', async () => {
    const h = await mcpHarness({})
    const url = await remoteFixture()
    const configBefore = readFileSync(join(h.repo, 'opencode.json'), 'utf8')
    const added = await h.call('POST', '/mcp', {
      name: 'remote',
      config: { type: 'remote', url, headers: { Authorization: 'Bearer t0k' } },
    })
    expect(added.status).to.equal(200)
    expect(added.body).to.deep.equal({ remote: { status: 'connected' } })
    const refused = await h.call('POST', '/mcp', { name: 'noauth', config: { type: 'remote', url } })
    expect(refused.body.noauth.status).to.equal('failed')
    expect(readFileSync(join(h.repo, 'opencode.json'), 'utf8')).to.equal(configBefore)

    h.llm.script({ toolCalls: [{ name: 'remote_echo', args: { text: 'over http' } }] }, { text: 'ok' })
    const session = await h.createSession()
    await h.prompt(session.id, 'echo')
    const [echo] = toolParts((await h.call('GET', `/session/${session.id}/message`)).body[1])
    expect(echo.state).to.include({ status: 'completed', output: 'over http' })

    expect((await h.call('POST', '/mcp', { name: 'bad', config: { type: 'local', command: [] } })).status).to.equal(400)
    expect(
      (await h.call('POST', '/mcp', { name: 'bad', config: { type: 'remote', url: 'file:///etc/passwd' } })).status,
    ).to.equal(400)
    expect((await h.call('POST', '/mcp', { config: local() })).status).to.equal(400)
  })

  it('ends local servers when the instance is disposed', async () => {
    const h = await mcpHarness({ fixture: local() })
    h.llm.script({ toolCalls: [{ name: 'fixture_env', args: { name: 'HOME' } }] }, { text: 'ok' })
    const session = await h.createSession()
    await h.prompt(session.id, 'pid')
    const [env] = toolParts((await h.call('GET', `/session/${session.id}/message`)).body[1])
    const pid = Number(env.state.output.split(' ').at(-1))
    expect(pid).to.be.above(0)
    expect((await h.call('POST', '/instance/dispose')).body).to.equal(true)
    await until(
      () => {
        try {
          process.kill(pid, 0)
          return false
        } catch {
          return true
        }
      },
      5000,
      'the MCP server process to end',
    )
  })

  describe('OAuth', () => {
    async function secured(extra: Record<string, unknown> = {}, options: { dataDir?: string; repo?: string } = {}) {
      const fixture = await oauthFixture()
      onCleanup(() => fixture.close())
      const h = await sessionHarness({
        extraPlugins: ['config', 'mcp'],
        config: { mcp: { secure: { type: 'remote', url: fixture.url, ...extra } } },
        ...options,
      })
      return { h, fixture }
    }

    /** What a browser does: follows the authorization URL and hands back where it was sent. */
    async function approve(authorizationUrl: string): Promise<URL> {
      const response = await fetch(authorizationUrl, { redirect: 'manual' })
      expect(response.status).to.equal(302)
      return new URL(response.headers.get('location')!)
    }

    it('needs auth, authorizes with a code, keeps the tokens across restarts, and forgets them', async () => {
      const { h, fixture } = await secured()
      expect((await h.call('GET', '/mcp')).body.secure).to.deep.equal({ status: 'needs_auth' })

      const started = await h.call('POST', '/mcp/secure/auth')
      expect(started.status).to.equal(200)
      const authorizationUrl = new URL(started.body.authorizationUrl)
      expect(authorizationUrl.origin + authorizationUrl.pathname).to.equal(`${fixture.origin}/authorize`)
      expect(authorizationUrl.searchParams.get('redirect_uri')).to.equal('http://127.0.0.1:19876/mcp/oauth/callback')
      expect(authorizationUrl.searchParams.get('code_challenge_method')).to.equal('S256')
      expect(authorizationUrl.searchParams.get('state')).to.equal(started.body.oauthState)

      expect((await h.call('POST', '/mcp/secure/auth/callback', { code: 'wrong' })).status).to.equal(400)
      expect((await h.call('GET', '/mcp')).body.secure.status).to.equal('needs_auth')

      const back = await approve(started.body.authorizationUrl)
      const finished = await h.call('POST', '/mcp/secure/auth/callback', { code: back.searchParams.get('code') })
      expect(finished.body).to.deep.equal({ status: 'connected' })
      expect((await h.call('GET', '/experimental/tool/ids')).body).to.include('secure_echo')
      const file = join(h.server.dataDir, 'mcp-auth.json')
      expect(statSync(file).mode & 0o777).to.equal(0o600)
      expect(JSON.parse(readFileSync(file, 'utf8')).secure.tokens.access_token).to.equal(fixture.issued.at(-1))

      // A new server with the same data dir connects with the stored tokens.
      await h.server.close()
      const again = await sessionHarness({
        extraPlugins: ['config', 'mcp'],
        repo: h.repo,
        dataDir: h.server.dataDir,
        config: { mcp: { secure: { type: 'remote', url: fixture.url } } },
      })
      expect((await again.call('GET', '/mcp')).body.secure).to.deep.equal({ status: 'connected' })
      expect((await again.call('DELETE', '/mcp/secure/auth')).body).to.deep.equal({ success: true })
      expect((await again.call('GET', '/mcp')).body.secure).to.deep.equal({ status: 'needs_auth' })
      expect(JSON.parse(readFileSync(file, 'utf8')).secure).to.equal(undefined)
    })

    it('authenticate waits for the browser on the loopback callback port', async () => {
      const port = 20000 + Math.floor(Math.random() * 20000)
      const { h } = await secured({ oauth: { callbackPort: port } })
      const waiting = h.call('POST', '/mcp/secure/auth/authenticate')
      await until(() => h.events.some((e) => e.type === 'mcp.browser.open.failed'), 5000, 'the authorization URL')
      const event = h.events.find((e) => e.type === 'mcp.browser.open.failed')!.properties as {
        mcpName: string
        url: string
      }
      expect(event.mcpName).to.equal('secure')
      const back = await approve(event.url)
      expect(back.href).to.match(new RegExp(`^http://127\\.0\\.0\\.1:${port}/mcp/oauth/callback\\?code=`))
      const page = await fetch(back)
      expect(await page.text()).to.contain('Authorized')
      expect((await waiting).body).to.deep.equal({ status: 'connected' })
    })

    it('is refused for oauth: false', async () => {
      const { h } = await secured({ oauth: false })
      expect((await h.call('GET', '/mcp')).body.secure.status).to.equal('failed')
      expect((await h.call('POST', '/mcp/secure/auth')).body.name).to.equal('McpUnsupportedOAuthError')
      expect((await h.call('POST', '/mcp/secure/auth/callback', {})).status).to.equal(400)
    })
  })
})
