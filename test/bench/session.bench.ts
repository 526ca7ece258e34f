// Session benchmark: prompt overhead against a zero-latency scripted LLM, listing 100 sessions,
// listing a 20-message session, and the newest 50 messages of a 10,000-message session.
// Run with `npm run bench` (figures, not assertions).
import autocannon from 'autocannon'
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../../kernel/version.js'
import { ScriptedLlm } from '../llm/server.js'

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

async function rate(url: string): Promise<string> {
  const result = await autocannon({ url, connections: 10, duration: 5 })
  return `${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms, ${result.errors + result.non2xx} errors`
}

export async function benchSession(): Promise<Record<string, string>> {
  const root = mkdtempSync(join(tmpdir(), 'ok-bench-session-'))
  const repo = join(root, 'repo')
  execFileSync('git', ['init', '-q', repo])
  execFileSync('git', ['-C', repo, '-c', 'user.email=b@b', '-c', 'user.name=b', 'commit', '-q', '--allow-empty', '-m', 'init'])
  const llm = new ScriptedLlm()
  await llm.start()
  writeFileSync(
    join(repo, 'opencode.json'),
    JSON.stringify({
      model: 'scripted/m',
      small_model: 'scripted/m',
      provider: { scripted: { npm: '@ai-sdk/openai-compatible', options: { baseURL: llm.url, apiKey: 'k' }, models: { m: { name: 'M' } } } },
    }),
  )
  // The server runs in its own process, as users run it; this process only drives it.
  const port = Number(process.env.BENCH_PORT ?? 4392)
  const server = spawn(process.execPath, [join(PACKAGE_ROOT, 'bin/opencode-kernel.js'), 'serve', '--port', String(port)], {
    cwd: repo,
    env: { PATH: process.env.PATH, HOME: root, XDG_CONFIG_HOME: join(root, 'config'), OPENCODE_KERNEL_DATA: join(root, 'data'), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve())
    server.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
  const base = `http://127.0.0.1:${port}`
  const post = async (path: string, body: unknown) => {
    const response = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`)
    return response.status === 204 ? undefined : response.json()
  }
  try {
    const figures: Record<string, string> = {}

    // Prompt round trip: the LLM answers at once, so what remains is the server's own cost.
    const promptSession = (await post('/session', { title: 'bench' })) as { id: string }
    const times: number[] = []
    for (let i = 0; i < 60; i++) {
      llm.script({ text: ['Hello', ' there'] })
      const started = performance.now()
      await post(`/session/${promptSession.id}/message`, { parts: [{ type: 'text', text: `prompt ${i}` }] })
      if (i >= 10) times.push(performance.now() - started)
    }
    figures['prompt round trip (zero-latency LLM, incl. HTTP to it)'] = `${median(times).toFixed(1)} ms median (target < 30 ms overhead)`

    for (let i = 0; i < 100; i++) await post('/session', { title: `session ${i}` })
    figures['GET /session (100 sessions)'] = `${await rate(`${base}/session?limit=100`)} (target > 5,000 req/s)`

    const twenty = (await post('/session', { title: 'twenty' })) as { id: string }
    for (let i = 0; i < 20; i++) await post(`/session/${twenty.id}/message`, { noReply: true, parts: [{ type: 'text', text: `message ${i} `.repeat(20) }] })
    figures['GET /session/:id/message (20 messages)'] = `${await rate(`${base}/session/${twenty.id}/message`)} (target > 3,000 req/s)`

    const big = (await post('/session', { title: 'big' })) as { id: string }
    for (let i = 0; i < 10_000; i++) await post(`/session/${big.id}/message`, { noReply: true, parts: [{ type: 'text', text: `message ${i}` }] })
    const pageTimes: number[] = []
    for (let i = 0; i < 50; i++) {
      const started = performance.now()
      const response = await fetch(`${base}/session/${big.id}/message?limit=50`)
      await response.json()
      pageTimes.push(performance.now() - started)
    }
    figures['newest 50 of 10,000 messages'] = `${median(pageTimes).toFixed(2)} ms median (target < 10 ms)`
    return figures
  } finally {
    const exited = new Promise((resolve) => server.once('exit', resolve))
    server.kill('SIGTERM')
    await exited
    await llm.close()
    rmSync(root, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchSession()
  for (const [name, value] of Object.entries(figures)) console.log(`${name}: ${value}`)
}
