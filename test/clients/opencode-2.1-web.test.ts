import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import type { Browser } from 'playwright-core'
import { launchBrowser, newPage, screenshot } from '../support/browser.js'
import { cleanup, listen, onCleanup, tempDir } from '../support/helper.js'
import { opencodeBinary } from '../support/opencode-cli.js'
import { sessionHarness } from '../support/session.js'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
    server.on('error', reject)
  })
}

/** OpenCode 2.1.2's own server, only to serve its web app (as a user who has it installed would). */
async function startOpencodeServer(binary: string, password: string): Promise<string> {
  const port = await freePort()
  const home = tempDir('ok-oc2-web-')
  const child = spawn(binary, ['serve', '--port', String(port), '--hostname', '127.0.0.1'], {
    cwd: home,
    env: { PATH: process.env.PATH, HOME: home, OPENCODE_SERVER_PASSWORD: password },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  onCleanup(() => {
    child.kill('SIGKILL')
  })
  await new Promise<void>((resolve, reject) => {
    let text = ''
    const timer = setTimeout(() => reject(new Error(`OpenCode did not listen: ${text}`)), 60_000)
    const read = (chunk: Buffer) => {
      text += chunk.toString()
      if (text.includes('listening on')) {
        clearTimeout(timer)
        resolve()
      }
    }
    child.stdout.on('data', read)
    child.stderr.on('data', read)
    child.on('exit', (code) => reject(new Error(`OpenCode exited (${code}): ${text}`)))
  })
  return `http://127.0.0.1:${port}`
}

/**
 * OpenCode 2.1.2's web app, served by OpenCode's own server, connected to this server through its
 * pairing form and driven in Chromium: it lists this server's sessions and answers a prompt.
 */
describe('clients: OpenCode 2.1.2 web app connected to this server', function () {
  this.timeout(120_000)
  let browser: Browser
  after(async () => {
    await browser?.close()
    await cleanup()
  })

  it('pairs, lists the sessions and answers a prompt', async function () {
    this.timeout(400_000)
    const binary = opencodeBinary('2.1.2')
    const webApp = await startOpencodeServer(binary, 'web-app-password')
    // The web app's page is on OpenCode's origin: this server lets it in with --cors.
    // Every built-in plugin, as `npm start` runs: the web app asks for projects, VCS, MCP, shells ...
    const h = await sessionHarness({ server: { cors: [webApp], only: undefined } })
    const url = await listen(h.server)
    h.llm.script({ text: 'An earlier answer.' })
    const session = await h.createSession({ title: 'Listed in the web app' })
    expect((await h.prompt(session.id, 'an earlier question')).status).to.equal(200)

    browser = await launchBrowser()
    const { page } = await newPage(browser)
    await page.context().setHTTPCredentials({ username: 'opencode', password: 'web-app-password' })
    const failures: string[] = []
    page.on('response', (response) => {
      if (response.url().startsWith(url) && response.status() >= 400)
        failures.push(`${response.status()} ${response.request().method()} ${response.url()}`)
    })
    await page.goto(webApp)
    const pair = (await (await fetch(`${url}/api/pair`, { method: 'POST' })).json()) as { code: string }
    await page.getByLabel('Pairing link').fill(`${url}/auth/connect/${pair.code}`)
    await page.getByRole('button', { name: 'Connect' }).click()
    await page.getByText(new URL(url).host).click()
    await page.getByText('Listed in the web app').click()
    await page.getByText('An earlier answer.').waitFor()

    h.llm.script({ text: ['The web app ', 'got its answer.'] })
    await page.locator('[contenteditable="true"]').first().click()
    await page.keyboard.type('hello from the web app')
    await page.keyboard.press('Enter')
    try {
      await page.getByText('The web app got its answer.').waitFor({ timeout: 30_000 })
    } finally {
      await screenshot(page, 'opencode-2.1-web-app')
    }
    const messages = (await h.call('GET', `/session/${session.id}/message`)).body as any[]
    expect(messages.map((message) => message.info.role)).to.deep.equal(['user', 'assistant', 'user', 'assistant'])
    // Nothing the web app asked this server for was missing or refused.
    expect(failures, failures.join('\n')).to.deep.equal([])
  })
})
