// Web app benchmark in Debian's Chromium against a server in its own process: first-load size
// (JS + CSS, gzip), time to interactive, and opening a 1,000-message session.
// Run with `npm run bench` (figures, not assertions).
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { PACKAGE_ROOT } from '../../kernel/core/version.js'
import { emptyRepository, median, serveRepository } from './setup.js'

const WEB = join(PACKAGE_ROOT, 'dist', 'web')
const MESSAGES = 1000

export async function benchWeb(): Promise<Record<string, string>> {
  const root = mkdtempSync(join(tmpdir(), 'ok-bench-web-'))
  const repo = emptyRepository(root)
  // A model to name; `noReply` messages never call it.
  const provider = {
    npm: '@ai-sdk/openai-compatible',
    options: { baseURL: 'http://127.0.0.1:9/v1', apiKey: 'k' },
    models: { m: { name: 'M' } },
  }
  writeFileSync(
    join(repo, 'opencode.json'),
    JSON.stringify({ model: 'local/m', small_model: 'local/m', provider: { local: provider } }),
  )
  const port = Number(process.env.BENCH_PORT ?? 4393)
  const server = await serveRepository(root, repo, port)
  const base = `http://127.0.0.1:${port}`
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  })
  try {
    const figures: Record<string, string> = {}
    const dir = encodeURIComponent(repo)

    // What a first visit downloads: every JS and CSS file requested until the app is idle, at its gzip size.
    const first = await browser.newPage()
    const assets = new Set<string>()
    first.on('request', (request) => {
      const path = new URL(request.url()).pathname
      if (/\.(js|css)$/.test(path)) assets.add(path)
    })
    // Not `networkidle`: the event stream stays open.
    await first.goto(`${base}/?dir=${dir}`)
    await first.locator('.connection[data-connection="connected"]').waitFor()
    await first.waitForTimeout(1000)
    const gzip = [...assets].reduce(
      (sum, path) => sum + (existsSync(join(WEB, path + '.gz')) ? statSync(join(WEB, path + '.gz')).size : 0),
      0,
    )
    figures['first load, JS + CSS'] = `${(gzip / 1024).toFixed(1)} KB gzip in ${assets.size} files (target ≤ 250 KB)`
    await first.close()

    // Time to interactive: navigation until the prompt box is there and the event stream is live.
    const times: number[] = []
    for (let i = 0; i < 7; i++) {
      const context = await browser.newContext()
      const page = await context.newPage()
      const started = performance.now()
      await page.goto(`${base}/?dir=${dir}`)
      await page.locator('.connection[data-connection="connected"]').waitFor()
      await page.locator('#prompt-input').waitFor()
      times.push(performance.now() - started)
      await context.close()
    }
    figures['time to interactive'] = `${median(times).toFixed(0)} ms median of ${times.length} (target < 1000 ms)`

    // A session with 1,000 messages: time until the newest is on screen, and how many are rendered.
    const post = async (path: string, body: unknown) => {
      const response = await fetch(base + path + `?directory=${dir}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
      if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`)
      return response.json() as Promise<{ id: string }>
    }
    const big = await post('/session', { title: 'a thousand messages' })
    for (let i = 0; i < MESSAGES; i++)
      await post(`/session/${big.id}/message`, {
        noReply: true,
        parts: [{ type: 'text', text: `message **${i}** with some text\n\n\`\`\`ts\nconst value = ${i}\n\`\`\`` }],
      })
    const openTimes: number[] = []
    let rendered = 0
    for (let i = 0; i < 5; i++) {
      const context = await browser.newContext()
      const page = await context.newPage()
      await page.goto(`${base}/?dir=${dir}`)
      await page.locator('.connection[data-connection="connected"]').waitFor()
      if (process.env.BENCH_TRACE)
        page.on('requestfinished', (request) =>
          console.log(
            `  ${(performance.now() - started).toFixed(0)} ms ${request.url().slice(base.length, base.length + 60)}`,
          ),
        )
      const started = performance.now()
      await page.locator('.session-open', { hasText: 'a thousand messages' }).click()
      await page.locator('.message', { hasText: `message ${MESSAGES - 1} with` }).waitFor()
      openTimes.push(performance.now() - started)
      rendered = await page.locator('.message').count()
      await context.close()
    }
    figures[`open a ${MESSAGES.toLocaleString()}-message session`] =
      `${median(openTimes).toFixed(0)} ms median (target < 1000 ms); ${rendered} messages rendered, older ones page in on scroll`
    return figures
  } finally {
    await browser.close()
    const exited = new Promise((resolve) => server.once('exit', resolve))
    server.kill('SIGTERM')
    await exited
    rmSync(root, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchWeb()
  for (const [name, value] of Object.entries(figures)) console.log(`${name}: ${value}`)
}
