import { expect } from 'chai'
import { mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { PACKAGE_ROOT } from '../../../kernel/core/version.js'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cleanup, gitRepo, onCleanup } from '../../support/helper.js'
import { ScriptedLlm } from '../../support/llm.js'
import { sessionHarness, until } from '../../support/session.js'

// Real packages from npm (devDependencies of this repository), linked into the fixture project's
// own node_modules so they resolve the way a user's installed plugins do.
const COMMUNITY = ['@sureshsankaran/opencode-destructive-check', 'opencode-prompt-recorder', 'opencode-anthropic-auth']

function projectWithCommunityPlugins(): string {
  const repo = gitRepo({
    'README.md': '# fixture\n',
    'package.json': JSON.stringify({ name: 'fixture', private: true }),
  })
  for (const name of COMMUNITY) {
    const link = join(repo, 'node_modules', name)
    mkdirSync(dirname(link), { recursive: true })
    symlinkSync(join(PACKAGE_ROOT, 'node_modules', name), link, 'dir')
  }
  return repo
}

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name)
      return statSync(path).isDirectory() ? filesUnder(path) : [path]
    })
  } catch {
    return []
  }
}

describe('plugin: opencode-plugins (community plugins from npm)', function () {
  this.timeout(40_000)
  afterEach(cleanup)

  async function harness() {
    return sessionHarness({
      extraPlugins: ['opencode-host'],
      repo: projectWithCommunityPlugins(),
      config: { plugin: COMMUNITY },
    })
  }

  it('loads all three from the project node_modules (a TypeScript entry included)', async () => {
    const h = await harness()
    const list = (await h.call('GET', '/plugin')).body
    expect(list.map((p: any) => [p.name, p.source, p.status])).to.deep.equal(
      COMMUNITY.map((name) => [name, 'npm', 'loaded']),
    )
    expect(list[0].entry).to.match(/src\/index\.ts$/)
    expect(list[0].hooks).to.include.members(['tool', 'tool.execute.before', 'permission.ask', 'tool.execute.after'])
    expect(list[1].hooks).to.deep.equal(['event'])
    expect(list[2].hooks).to.include.members(['auth', 'experimental.chat.system.transform'])
  })

  it('destructive-check: its status tool counts the tool calls its tool.execute.before hook saw', async () => {
    const h = await harness()
    h.llm.script(
      { toolCalls: [{ name: 'bash', args: { command: 'echo hi', description: 'say hi' } }] },
      { toolCalls: [{ name: 'destructive-check-status', args: {} }] },
      { text: 'done' },
    )
    const session = await h.createSession()
    await h.prompt(session.id, 'check')
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body
    const status = messages
      .flatMap((m: any) => m.parts)
      .find((p: any) => p.type === 'tool' && p.tool === 'destructive-check-status')
    expect(status.state.status).to.equal('completed')
    const stats = JSON.parse(status.state.output)
    expect(stats.enabled).to.equal(true)
    expect(stats.session).to.include({ id: session.id, checked: 2 })
  })

  it('prompt-recorder: its event hook writes the user prompt to .prompts/ in the project', async () => {
    const h = await harness()
    await h.call('GET', '/plugin')
    // The plugin creates the session's file on its first write without a lock: a reply written
    // while the prompt's write is still under way replaces the file. A slower reply keeps them apart.
    h.llm.script({ text: 'sure', delayMs: 300 })
    const session = await h.createSession()
    await h.prompt(session.id, 'Record this prompt please')
    await until(
      () =>
        filesUnder(join(h.repo, '.prompts')).some((file) =>
          readFileSync(file, 'utf8').includes('Record this prompt please'),
        ),
      10_000,
      'the recorded prompt',
    )
    const file = filesUnder(join(h.repo, '.prompts')).find((f) => f.endsWith('.txt'))!
    expect(readFileSync(file, 'utf8')).to.contain(`SessionID: ${session.id}`)
  })

  it('anthropic-auth: its OAuth logins are offered in /provider/auth and authorize starts the flow', async () => {
    const h = await harness()
    await h.call('GET', '/plugin')
    const methods = (await h.call('GET', '/provider/auth')).body
    expect(methods.anthropic.map((m: any) => m.label)).to.include.members(['Claude Pro/Max', 'Create an API Key'])
    const started = await h.call('POST', '/provider/anthropic/oauth/authorize', { method: 0 })
    expect(started.status).to.equal(200)
    expect(started.body.method).to.equal('code')
    expect(started.body.url).to.match(/^https:\/\/claude\.ai\/oauth\/authorize\?/)
    expect(new URL(started.body.url).searchParams.get('code_challenge_method')).to.equal('S256')
  })

  it("anthropic-auth: with an OAuth credential stored, every Anthropic request goes through the plugin's own fetch", async () => {
    const seen: { url: string; headers: IncomingHttpHeaders }[] = []
    const anthropic = createServer((request, response) => {
      seen.push({ url: request.url ?? '', headers: request.headers })
      response
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'captured' } }))
    })
    await new Promise<void>((resolve) => anthropic.listen(0, '127.0.0.1', resolve))
    onCleanup(() => new Promise((resolve) => anthropic.close(resolve)))
    const base = `http://127.0.0.1:${(anthropic.address() as AddressInfo).port}/v1`
    const llm = new ScriptedLlm()
    await llm.start()
    onCleanup(() => llm.close())
    const h = await sessionHarness({
      llm,
      extraPlugins: ['opencode-host'],
      repo: projectWithCommunityPlugins(),
      config: {
        plugin: COMMUNITY,
        provider: {
          scripted: {
            npm: '@ai-sdk/openai-compatible',
            name: 'Scripted',
            options: { baseURL: llm.url, apiKey: 'test-key' },
            models: { 'test-model': { name: 'Test model' } },
          },
          anthropic: {
            npm: '@ai-sdk/anthropic',
            options: { baseURL: base },
            models: { 'test-claude': { name: 'Test Claude' } },
          },
        },
      },
    })
    await h.call('GET', '/plugin')
    expect(
      (
        await h.call('PUT', '/auth/anthropic', {
          type: 'oauth',
          access: 'access-token',
          refresh: 'refresh-token',
          expires: Date.now() + 3_600_000,
        })
      ).status,
    ).to.equal(200)
    const session = await h.createSession()
    await h.prompt(session.id, 'hello', { model: { providerID: 'anthropic', modelID: 'test-claude' } })
    expect(seen.length).to.be.greaterThan(0)
    expect(seen[0]!.url).to.contain('beta=true')
    expect(seen[0]!.headers.authorization).to.equal('Bearer access-token')
    expect(seen[0]!.headers['x-api-key']).to.equal(undefined)
    expect(String(seen[0]!.headers['anthropic-beta'])).to.contain('oauth')
  })
})
