// The web app end to end: Debian's Chromium against a real server (real socket) and the scripted LLM.
declare const document: any
declare const window: any
declare const MutationObserver: any
import { expect } from 'chai'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { cleanup, gitRepo, listen, tempDir } from '../../support/helper.js'
import { sessionHarness, type SessionHarness } from '../../support/session.js'
import { launchBrowser, newPage, screenshot } from '../../support/browser.js'

export const WEB_PLUGINS = ['web', 'project', 'pty', 'snapshot', 'file', 'share', 'vcs', 'config', 'mcp']

/**
 * Errors the page logged, minus the expected ones: a 400 from the bad directory, an aborted stream
 * on reload, and Chromium's CSP notice when the sanitizer parses the hostile markup in an inert
 * document (the attribute is checked at parse time; nothing runs, and the sanitizer drops it).
 */
function unexpected(errors: string[]): string[] {
  return errors.filter((error) => !/status of 40[014]|ERR_ABORTED|Executing inline event handler violates/.test(error))
}

describe('plugin: web (the app in a real browser)', function () {
  this.timeout(60000)
  let h: SessionHarness
  let base: string
  let browser: Browser
  let page: Page
  let pageErrors: string[]
  let fixture: string

  before(async () => {
    fixture = gitRepo({ 'README.md': '# fixture\n' })
    // The server starts somewhere else: the fixture project is added from the page.
    h = await sessionHarness({
      repo: fixture,
      extraPlugins: WEB_PLUGINS,
      config: { permission: { edit: 'ask' } },
      server: { cwd: tempDir('ok-web-cwd-') },
    })
    base = await listen(h.server)
    browser = await launchBrowser()
    ;({ page, pageErrors } = await newPage(browser))
  })
  after(async () => {
    await browser?.close()
    await cleanup()
  })

  const lastAssistant = () => page.locator('.message.assistant').last()
  async function send(text: string) {
    await page.locator('#prompt-input').fill(text)
    await page.locator('#prompt-input').press('Enter')
  }

  it('opens /, adds the fixture project and starts a new session', async () => {
    await page.goto(base + '/')
    await page.locator('.connection[data-connection="connected"]').waitFor()
    await page.locator('.add-project input').fill(fixture)
    await page.locator('.add-project button').click()
    await page.waitForFunction(
      (dir) => (document.getElementById('project-select') as { value: string } | null)?.value === dir,
      fixture,
    )
    await page.getByRole('button', { name: 'New', exact: true }).click()
    await page.waitForURL(/\/s\/ses_/)
    expect(new URL(page.url()).searchParams.get('dir')).to.equal(fixture)
    await page.locator('.session-item.active').waitFor()
    await screenshot(page, 'web-new-session')
  })

  it('streams the answer to a prompt as it arrives', async () => {
    h.llm.script({ text: ['Hello', ' from', ' the', ' scripted', ' model.'], delayMs: 150 })
    await send('Say hello')
    await page.locator('.message.user').filter({ hasText: 'Say hello' }).waitFor()
    // Part of the answer is on screen before the rest has been sent.
    await page.waitForFunction(() => {
      const text = [...document.querySelectorAll('.message.assistant .markdown')]
        .map((node) => node.textContent)
        .join('')
      return text.includes('Hello') && !text.includes('model.')
    })
    await lastAssistant().locator('.markdown').filter({ hasText: 'Hello from the scripted model.' }).waitFor()
    await lastAssistant().locator('.step-finish').waitFor()
    await screenshot(page, 'web-streamed-answer')
  })

  it('shows a tool call with its title, status and output', async () => {
    h.llm.script(
      { toolCalls: [{ name: 'bash', args: { command: 'echo tool-output-$((40+2))', description: 'Print a marker' } }] },
      { text: 'Ran it.' },
    )
    await send('Run the marker command')
    const tool = page.locator('.tool[data-tool="bash"]').last()
    await tool.locator('.tool-status', { hasText: 'completed' }).waitFor()
    expect(await tool.locator('.tool-title').textContent()).to.equal('Print a marker')
    expect(await tool.locator('.tool-output').textContent()).to.contain('tool-output-42')
    await lastAssistant().locator('.markdown', { hasText: 'Ran it.' }).waitFor()
    await screenshot(page, 'web-tool-call')
  })

  it('applies a streaming delta to its own part: earlier messages are not touched', async () => {
    await page.evaluate(() => {
      const touched = ((window as any).__touched = new Set<string>())
      const earlier = new Set([...document.querySelectorAll('.message')].map((node: any) => node.dataset.messageId))
      new MutationObserver((records: any[]) => {
        for (const record of records) {
          const id = (record.target.nodeType === 1 ? record.target : record.target.parentElement)?.closest('.message')
            ?.dataset.messageId
          if (id && earlier.has(id)) touched.add(id)
        }
      }).observe(document.querySelector('.chat'), {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
      })
    })
    h.llm.script({ text: ['one ', 'two ', 'three ', 'four ', 'five'], delayMs: 100 })
    await send('Count to five')
    await lastAssistant().locator('.markdown', { hasText: 'one two three four five' }).waitFor()
    expect(await page.evaluate(() => [...(window as any).__touched])).to.deep.equal([])
  })

  it('answers a permission request in the page, and the call completes', async () => {
    h.llm.script(
      { toolCalls: [{ name: 'write', args: { filePath: 'hello.txt', content: 'hi from the web\n' } }] },
      { text: 'Wrote it.' },
    )
    await send('Write hello.txt')
    const request = page.locator('.request.permission')
    await request.waitFor()
    expect(await request.textContent()).to.contain('edit')
    await request.scrollIntoViewIfNeeded()
    await screenshot(page, 'web-permission-asked')
    await request.getByRole('button', { name: 'Allow once' }).click()
    await page.locator('.tool[data-tool="write"] .tool-status', { hasText: 'completed' }).waitFor()
    await lastAssistant().locator('.markdown', { hasText: 'Wrote it.' }).waitFor()
    expect(await request.count()).to.equal(0)
    expect(readFileSync(join(fixture, 'hello.txt'), 'utf8')).to.equal('hi from the web\n')
    // The write is shown as a diff.
    expect(await page.locator('.tool[data-tool="write"] .diff-line.add').allTextContents()).to.include(
      '+hi from the web',
    )
  })

  it('lists the changed file in the diff panel, and revert removes it', async () => {
    await page.getByRole('button', { name: 'Diff', exact: true }).click()
    const file = page.locator('.diff-file[data-file="hello.txt"]')
    await file.waitFor()
    await file.locator('.diff-file-head').click()
    await file.locator('.diff-line.add', { hasText: '+hi from the web' }).waitFor()
    await screenshot(page, 'web-diff-panel')
    await page
      .locator('.message.user', { hasText: 'Write hello.txt' })
      .getByRole('button', { name: 'Revert to here' })
      .click()
    await page.locator('.revert-banner').waitFor()
    await page.locator('.diff-file.reverted[data-file="hello.txt"]').waitFor()
    expect(existsSync(join(fixture, 'hello.txt'))).to.equal(false)
    await screenshot(page, 'web-reverted')
    await page.locator('.revert-banner').getByRole('button', { name: 'Unrevert' }).click()
    await page.locator('.revert-banner').waitFor({ state: 'detached' })
    await page.locator('.diff-file:not(.reverted)[data-file="hello.txt"]').waitFor()
    expect(existsSync(join(fixture, 'hello.txt'))).to.equal(true)
  })

  it('echoes typed input in the terminal panel', async () => {
    await page.getByRole('button', { name: 'Terminal', exact: true }).click()
    await page.locator('[data-terminal-status="connected"]').waitFor({ timeout: 30000 })
    await page.locator('.terminal .xterm').click()
    await page.keyboard.type('echo web-terminal-$((6*7))\n')
    // A login shell can take a while to start on a busy machine.
    await page.waitForFunction(
      () => document.querySelector('.terminal .xterm-rows')?.textContent?.includes('web-terminal-42'),
      undefined,
      { timeout: 45000 },
    )
    await screenshot(page, 'web-terminal')
    await page.getByRole('button', { name: 'Terminal', exact: true }).click()
  })

  it('keeps showing a streaming answer after a reload in the middle of it', async () => {
    const words = Array.from({ length: 60 }, (_, i) => `word${i} `)
    h.llm.script({ text: words, delayMs: 150 })
    await send('Stream a long answer')
    await page.waitForFunction(() =>
      document.querySelector('.message.assistant:last-of-type .markdown')?.textContent?.includes('word3'),
    )
    await page.reload()
    await page.locator('.message.user', { hasText: 'Stream a long answer' }).waitFor()
    // After the reload the answer is still growing, then complete.
    await page.waitForFunction(() => {
      const text = document.querySelector('.message.assistant:last-of-type .markdown')?.textContent ?? ''
      return text.includes('word5') && !text.includes('word59')
    })
    await page.waitForFunction(
      (full) => document.querySelector('.message.assistant:last-of-type .markdown')?.textContent?.trim() === full,
      words.join('').trim(),
    )
    await screenshot(page, 'web-reload-mid-stream')
  })

  it('shows that it reconnects after the event stream drops, and resumes with Last-Event-ID', async () => {
    await page.evaluate(() => {
      const seen: string[] = ((window as any).__states = [])
      const target = document.querySelector('.connection')!
      new MutationObserver(() => seen.push(target.getAttribute('data-connection') ?? '')).observe(target, {
        attributes: true,
      })
    })
    const resumed = page.waitForRequest(
      (request) => request.url().includes('/event?') && request.headers()['last-event-id'] !== undefined,
    )
    // Disposing the instance ends its event streams.
    expect((await h.call('POST', `/instance/dispose?directory=${encodeURIComponent(fixture)}`)).status).to.equal(200)
    const request = await resumed
    expect(Number(request.headers()['last-event-id'])).to.be.greaterThan(0)
    await page.locator('.connection[data-connection="connected"]').waitFor()
    expect(await page.evaluate(() => (window as any).__states)).to.include('reconnecting')
    // Live again: a rename made elsewhere shows up.
    const sessionID = /\/s\/(ses_[\w-]+)/.exec(page.url())![1]!
    await h.call('PATCH', `/session/${sessionID}?directory=${encodeURIComponent(fixture)}`, {
      title: 'Renamed elsewhere',
    })
    await page.locator('.session-item.active', { hasText: 'Renamed elsewhere' }).waitFor()
  })

  it('renders model output and titles as text: no script, no event handler runs', async () => {
    const hostile =
      '**bold** <img src="x" onerror="window.__xss = 2"> [link](javascript:window.__xss=3)\n\n<script>window.__xss = 1</script>\n\n<svg onload="window.__xss=4"></svg><iframe srcdoc="<script>parent.__xss=6</script>"></iframe>'
    h.llm.script({ text: hostile })
    const sessionID = /\/s\/(ses_[\w-]+)/.exec(page.url())![1]!
    await h.call('PATCH', `/session/${sessionID}?directory=${encodeURIComponent(fixture)}`, {
      title: '<img src=x onerror="window.__xss=5">',
    })
    await send('Answer with markup')
    await lastAssistant().locator('strong', { hasText: 'bold' }).waitFor()
    await page.locator('.session-item.active', { hasText: '<img src=x onerror="window.__xss=5">' }).waitFor()
    await page.waitForTimeout(300)
    expect(await page.evaluate(() => (window as any).__xss), await lastAssistant().innerHTML()).to.equal(undefined)
    expect(
      await page
        .locator('.markdown script, .markdown [onerror], .markdown [onload], .markdown a[href^="javascript"]')
        .count(),
    ).to.equal(0)
    await page
      .locator('.markdown a', { hasText: 'link' })
      .click()
      .catch(() => {})
    expect(await page.evaluate(() => (window as any).__xss)).to.equal(undefined)
    await screenshot(page, 'web-xss')
  })

  it('shows a message when an API call fails, never a blank page', async () => {
    await page.locator('.add-project input').fill('/no/such/directory/anywhere')
    await page.locator('.add-project button').click()
    await page.locator('.toast.error').first().waitFor()
    expect(await page.locator('.toast.error').first().textContent()).to.match(/directory|not found|exist/i)
    expect(await page.locator('.sidebar').count()).to.equal(1)
    expect(unexpected(pageErrors)).to.deep.equal([])
  })

  it('answers a question from the model inline', async () => {
    const questions = [
      {
        header: 'Colour',
        question: 'Which colour?',
        options: [
          { label: 'Red', description: 'warm' },
          { label: 'Blue', description: 'cool' },
        ],
      },
    ]
    h.llm.script({ toolCalls: [{ name: 'question', args: { questions } }] }, { text: 'Blue it is.' })
    await send('Ask me something')
    const card = page.locator('.request.question')
    await card.waitFor()
    await card.getByLabel('Blue').check()
    await screenshot(page, 'web-question')
    await card.getByRole('button', { name: 'Answer' }).click()
    await lastAssistant().locator('.markdown', { hasText: 'Blue it is.' }).waitFor()
    expect(await card.count()).to.equal(0)
    const request = h.llm.requests.at(-1)!
    expect(JSON.stringify(request.body.messages)).to.contain('Blue')
  })

  it('offers slash commands with their hints and @ mentions of files and agents', async () => {
    const input = page.locator('#prompt-input')
    await input.fill('')
    await input.pressSequentially('/rev')
    await page.locator('.suggestions li', { hasText: '/review' }).waitFor()
    await input.press('Escape')
    await input.fill('')
    await input.pressSequentially('Look at @READ')
    await page.locator('.suggestions li', { hasText: 'README.md' }).waitFor()
    await screenshot(page, 'web-mention')
    await page.locator('.suggestions li', { hasText: 'README.md' }).click()
    expect(await input.inputValue()).to.equal('Look at @README.md ')
    h.llm.script({ text: 'Read the file.' })
    await input.press('Enter')
    await lastAssistant().locator('.markdown', { hasText: 'Read the file.' }).waitFor()
    // The mention went to the model as a file part: the server read it into the prompt.
    expect(JSON.stringify(h.llm.requests.at(-1)!.body.messages)).to.contain('# fixture')
  })

  it('sends an attached image with the prompt', async () => {
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
      'base64',
    )
    await page
      .locator('.attach input[type="file"]')
      .setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: png })
    await page.locator('.attachments .chip', { hasText: 'dot.png' }).waitFor()
    h.llm.script({ text: 'A single dot.' })
    await send('What is in the picture?')
    await lastAssistant().locator('.markdown', { hasText: 'A single dot.' }).waitFor()
    expect(JSON.stringify(h.llm.requests.at(-1)!.body.messages)).to.contain(
      `data:image/png;base64,${png.toString('base64')}`,
    )
    expect(await page.locator('.attachments').count()).to.equal(0)
  })

  it('shows prompts sent while the session is busy as queued, and aborts', async () => {
    h.llm.script({ text: ['slow ', 'answer '], hang: true }, { text: 'Second answer.' })
    await send('First, slow')
    await page.locator('.working').waitFor()
    await send('Second, queued')
    await page.locator('.message.user', { hasText: 'Second, queued' }).locator('.badge.queued').waitFor()
    await screenshot(page, 'web-queued')
    await page.getByRole('button', { name: 'Stop' }).click()
    await page.locator('.working').waitFor({ state: 'detached' })
  })

  it('lists providers and MCP servers in the settings', async () => {
    await page.getByRole('button', { name: 'Settings', exact: true }).click()
    await page.locator('.providers li', { hasText: 'Scripted' }).waitFor()
    await page.locator('.mcp li').first().waitFor()
    await screenshot(page, 'web-settings')
    await page.getByRole('button', { name: 'Settings', exact: true }).click()
  })

  it('works on a phone-sized screen', async () => {
    const phone = await newPage(browser, { width: 390, height: 844 })
    await phone.page.goto(`${base}/?dir=${encodeURIComponent(fixture)}`)
    await phone.page.locator('.connection[data-connection="connected"]').waitFor()
    expect(await phone.page.locator('.sidebar').isVisible()).to.equal(false)
    await phone.page.getByRole('button', { name: 'Menu' }).click()
    await phone.page.locator('.sidebar').waitFor()
    expect(await phone.page.locator('#prompt-input').isVisible()).to.equal(true)
    // The header fits the screen (Sign out was once pushed past its edge): its tabs scroll.
    const overflow = await phone.page.evaluate(
      () => document.querySelector('.topbar')!.scrollWidth - document.querySelector('.topbar')!.clientWidth,
    )
    expect(overflow).to.be.at.most(0)
    const signOut = phone.page.getByRole('button', { name: 'Sign out' })
    await signOut.scrollIntoViewIfNeeded()
    const box = (await signOut.boundingBox())!
    expect(box.x).to.be.at.least(0)
    expect(box.x + box.width).to.be.at.most(390)
    await screenshot(phone.page, 'web-phone')
    await phone.context.close()
  })
})

describe('plugin: web (password login in a real browser)', function () {
  this.timeout(60000)
  let browser: Browser

  before(async () => {
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await cleanup()
  })

  it('asks for the password, refuses a wrong one, signs in with an HttpOnly cookie and signs out', async () => {
    const h = await sessionHarness({ extraPlugins: WEB_PLUGINS, server: { password: 'web-secret' } })
    const base = await listen(h.server)
    const { page } = await newPage(browser)
    await page.goto(base + '/')
    const form = page.locator('form.login')
    await form.waitFor()
    await form.locator('input[type="password"]').fill('wrong')
    await form.getByRole('button', { name: 'Sign in' }).click()
    await form.locator('.login-error', { hasText: 'Wrong password' }).waitFor()
    await screenshot(page, 'web-login-wrong')
    await form.locator('input[type="password"]').fill('web-secret')
    await form.getByRole('button', { name: 'Sign in' }).click()
    await page.locator('.connection[data-connection="connected"]').waitFor()
    expect(await page.evaluate(() => document.cookie)).to.equal('')
    const cookies = await page.context().cookies()
    expect(cookies.map((cookie) => [cookie.name, cookie.httpOnly, cookie.sameSite])).to.deep.equal([
      ['opencode_session', true, 'Strict'],
    ])
    await screenshot(page, 'web-logged-in')
    await page.getByRole('button', { name: 'Sign out' }).click()
    await form.waitFor()
    expect(await page.context().cookies()).to.deep.equal([])
    await page.reload()
    await form.waitFor()
  })
})
