// The benchmark: `npm run bench` (figures, not assertions; not part of `npm test`).
//
// Every figure of the performance issue, each the median of several runs, for this server and,
// when OPENCODE_BIN names an `opencode` binary, for OpenCode in the same run on the same fixture
// (a git repository, the same zero-latency scripted LLM), with the ratio.
//
//   BENCH_ONLY=launch,health     run only these figures (names below)
//   BENCH_BIG=10000              messages in the long session
//   BENCH_DATABASE=postgres      this server on PostgreSQL (a throwaway server; or a postgres:// URL),
//                                in a fresh database; adds the `cluster` figure (two nodes)
import autocannon from 'autocannon'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { get, request, type IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../../kernel/core/version.js'
import { ScriptedLlm } from '../support/llm.js'
import { benchDatabase, type BenchDatabase } from './postgres.js'
import { emptyRepository, median } from './setup.js'

const only = process.env.BENCH_ONLY?.split(',')
const BIG = Number(process.env.BENCH_BIG ?? 10_000)
const wanted = (name: string) => !only || only.includes(name)
/** Set when BENCH_DATABASE puts this server on PostgreSQL (for the whole run). */
let database: BenchDatabase | undefined

/** The value `p` % of `values` are at or below (nearest rank). */
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.max(0, Math.ceil((p / 100) * values.length) - 1)]!
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** CPU time (user + system) a process has used, in ms: steadier than wall time on a shared machine. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(status.match(/VmRSS:\s+(\d+) kB/)![1]) / 1024
}

/** The RSS of a process and its children (OpenCode's binary may start helpers). */
function treeRssMiB(pid: number): number {
  let total = rssMiB(pid)
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)
    for (const child of children) total += treeRssMiB(Number(child))
  } catch {
    // The process or a child has just exited.
  }
  return total
}

// node:http rather than fetch for polling: undici's first-use cost would be charged to the server.
function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get(url, { agent: false }, (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode === 200))
    })
    req.on('error', () => resolve(false))
    // A server still starting may accept the connection and never answer: ask again.
    req.setTimeout(1000, () => {
      req.destroy()
      resolve(false)
    })
  })
}

async function untilHealthy(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await healthy(url))) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`)
    if (Date.now() > deadline) throw new Error(`${url} not healthy after ${timeoutMs} ms`)
    await sleep(2)
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
}

interface Fixture {
  root: string
  repo: string
  llm: ScriptedLlm
}

async function fixture(): Promise<Fixture> {
  const root = mkdtempSync(join(tmpdir(), 'ok-bench-'))
  const repo = emptyRepository(root)
  const llm = new ScriptedLlm()
  await llm.start()
  writeFileSync(
    join(repo, 'opencode.json'),
    JSON.stringify({
      $schema: 'https://opencode.ai/config.json',
      model: 'scripted/m',
      small_model: 'scripted/m',
      share: 'disabled',
      autoupdate: false,
      provider: {
        scripted: {
          npm: '@ai-sdk/openai-compatible',
          options: { baseURL: llm.url, apiKey: 'k' },
          models: { m: { name: 'M' } },
        },
      },
    }),
  )
  return { root, repo, llm }
}

/** A server to measure: ours, or OpenCode's binary. */
interface Target {
  name: string
  /** Starts the server as users start it, on `port`, in the fixture's repository. */
  launch(fx: Fixture, port: number, home: string): ChildProcess
}

function environment(fx: Fixture, home: string): NodeJS.ProcessEnv {
  mkdirSync(home, { recursive: true })
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_DATA_HOME: join(home, 'data'),
    XDG_CACHE_HOME: join(home, 'cache'),
    XDG_STATE_HOME: join(home, 'state'),
    OPENCODE_KERNEL_DATA: join(home, 'kernel-data'),
    LOG_LEVEL: 'warn',
    // OpenCode: no update checks, model catalogue downloads or default plugin installs.
    OPENCODE_DISABLE_AUTOUPDATE: 'true',
    OPENCODE_DISABLE_MODELS_FETCH: 'true',
    OPENCODE_DISABLE_DEFAULT_PLUGINS: 'true',
    OPENCODE_DISABLE_LSP_DOWNLOAD: 'true',
    OPENCODE_DISABLE_SHARE: 'true',
  }
}

/** This server's environment: on PostgreSQL, the database and the cluster secret its nodes share. */
function kernelEnvironment(fx: Fixture, home: string): NodeJS.ProcessEnv {
  const env = environment(fx, home)
  if (database) {
    env.OPENCODE_KERNEL_DATABASE_URL = database.url
    env.OPENCODE_KERNEL_CLUSTER_SECRET = 'bench-cluster-secret-0123456789'
  }
  return env
}

/** The Node options `npm start` runs the server with (`node <options> bin/opencode-kernel.js serve`). */
function startOptions(): string[] {
  if (process.env.BENCH_NODE_OPTIONS !== undefined) return process.env.BENCH_NODE_OPTIONS.split(' ').filter(Boolean)
  const start: string = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')).scripts.start
  return (
    start
      .match(/^node((?: --\S+)*) bin\/opencode-kernel\.js/)?.[1]!
      .trim()
      .split(' ')
      .filter(Boolean) ?? []
  )
}

const ours: Target = {
  name: 'opencode-kernel',
  launch: (fx, port, home) =>
    spawn(
      process.execPath,
      [...startOptions(), join(PACKAGE_ROOT, 'bin/opencode-kernel.js'), 'serve', '--port', String(port)],
      {
        cwd: fx.repo,
        env: kernelEnvironment(fx, home),
        stdio: 'ignore',
      },
    ),
}

function opencode(bin: string): Target {
  return {
    name: 'OpenCode',
    launch: (fx, port, home) =>
      spawn(bin, ['serve', '--port', String(port), '--hostname', '127.0.0.1'], {
        cwd: fx.repo,
        env: environment(fx, home),
        stdio: 'ignore',
      }),
  }
}

type Figures = Record<string, { value: number; unit: string; note?: string }>

async function throughput(url: string, pid: number, runs = 3, seconds = 3): Promise<{ value: number; note: string }> {
  await autocannon({ url, connections: 10, amount: 500 })
  const rates: number[] = []
  let errors = 0
  let requests = 0
  const cpu = cpuMs(pid)
  for (let i = 0; i < runs; i++) {
    const result = await autocannon({ url, connections: 10, duration: seconds })
    rates.push(result.requests.average)
    requests += result.requests.total
    errors += result.errors + result.non2xx
  }
  const perRequest = ((cpuMs(pid) - cpu) * 1000) / requests
  return {
    value: Math.round(median(rates)),
    note: `median of ${runs}×${seconds} s, ${errors} errors; server CPU ${perRequest.toFixed(0)} µs per request`,
  }
}

async function json(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`)
  return text === '' ? undefined : JSON.parse(text)
}

/** Runs `task` over `items` with at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, task: (item: T, index: number) => Promise<unknown>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++
        await task(items[index]!, index)
      }
    }),
  )
}

/** `count` SSE clients on `url`; resolves, per client, when `marker` has been seen `expected` times. */
async function sseClients(url: string, count: number) {
  const clients: { seen: number; response: IncomingMessage }[] = []
  let marker = ''
  let expected = 0
  let onProgress = () => {}
  await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<void>((resolve, reject) => {
          const req = request(url, { agent: false }, (response) => {
            const client = { seen: 0, response }
            clients.push(client)
            let tail = ''
            response.setEncoding('utf8')
            response.on('data', (chunk: string) => {
              const text = tail + chunk
              if (marker) {
                let at = text.indexOf(marker)
                while (at !== -1) {
                  client.seen++
                  at = text.indexOf(marker, at + marker.length)
                }
              }
              tail = text.slice(-(marker.length - 1) || text.length)
              if (client.seen >= expected) onProgress()
              if (text.includes('server.connected')) resolve()
            })
          })
          req.on('error', reject)
          req.end()
        }),
    ),
  )
  return {
    /** Resolves when every client has seen `marker` `n` times. */
    until(nextMarker: string, n: number): Promise<void> {
      marker = nextMarker
      expected = n
      for (const client of clients) client.seen = 0
      return new Promise((resolve) => {
        onProgress = () => {
          if (clients.every((client) => client.seen >= expected)) resolve()
        }
      })
    },
    close() {
      for (const client of clients) client.response.destroy()
    },
  }
}

async function measure(target: Target, port: number): Promise<Figures> {
  const figures: Figures = {}
  const fx = await fixture()
  const base = `http://127.0.0.1:${port}`
  let child: ChildProcess | undefined
  try {
    // Launch: the installed command, to the first healthy answer; the median of several cold launches.
    // One untimed launch first: a first run sets up its data and config folders (OpenCode's
    // takes a minute on a busy machine); the timed launches reuse them, as a user's do.
    const launches: number[] = []
    const launchRuns = wanted('launch') ? 5 : 0
    const home = join(fx.root, 'home')
    for (let i = 0; i <= launchRuns; i++) {
      const started = performance.now()
      child = target.launch(fx, port, home)
      await untilHealthy(`${base}/global/health`, child, 300_000)
      if (i > 0) launches.push(performance.now() - started)
      if (i < launchRuns) await stop(child)
    }
    if (wanted('launch'))
      figures['launch to first healthy response'] = {
        value: median(launches),
        unit: 'ms',
        note: `median of ${launchRuns}`,
      }
    await sleep(1000)
    figures['idle RSS'] = { value: treeRssMiB(child!.pid!), unit: 'MiB' }

    if (wanted('health'))
      figures['GET /global/health, 10 connections'] = {
        ...(await throughput(`${base}/global/health`, child!.pid!)),
        unit: 'req/s',
      }

    if (wanted('prompt')) {
      const session = await json(base, 'POST', '/session', { title: 'bench' })
      const times: number[] = []
      let cpu = 0
      for (let i = 0; i < 40; i++) {
        fx.llm.script({ text: ['Hello', ' there'] })
        if (i === 10) cpu = cpuMs(child!.pid!)
        const started = performance.now()
        await json(base, 'POST', `/session/${session.id}/message`, { parts: [{ type: 'text', text: `prompt ${i}` }] })
        if (i >= 10) times.push(performance.now() - started)
      }
      cpu = (cpuMs(child!.pid!) - cpu) / 30
      figures['prompt round trip (zero-latency LLM)'] = {
        value: median(times),
        unit: 'ms',
        note: `median of 30; server CPU ${cpu.toFixed(1)} ms per prompt`,
      }
    }

    if (wanted('lists')) {
      for (let i = 0; i < 100; i++) await json(base, 'POST', '/session', { title: `session ${i}` })
      figures['GET /session, 100 sessions'] = { ...(await throughput(`${base}/session`, child!.pid!)), unit: 'req/s' }
      const twenty = await json(base, 'POST', '/session', { title: 'twenty' })
      for (let i = 0; i < 20; i++)
        await json(base, 'POST', `/session/${twenty.id}/message`, {
          noReply: true,
          parts: [{ type: 'text', text: `message ${i} `.repeat(20) }],
        })
      figures['GET /session/:id/message, 20 messages'] = {
        ...(await throughput(`${base}/session/${twenty.id}/message`, child!.pid!)),
        unit: 'req/s',
      }
    }

    if (wanted('fanout')) {
      // 100 clients on /event; 100 events published (POST /tui/append-prompt, 10 at a time);
      // the time until every client has received every event.
      const clients = await sseClients(`${base}/event`, 100)
      const runs: number[] = []
      const cpu = cpuMs(child!.pid!)
      for (let run = 0; run < 3; run++) {
        const marker = `fanout-${run}-`
        const received = clients.until(marker, 100)
        const started = performance.now()
        await pool([...Array(100).keys()], 10, (i) =>
          json(base, 'POST', '/tui/append-prompt', { text: `${marker}${i}` }),
        )
        await received
        runs.push(performance.now() - started)
      }
      clients.close()
      figures['SSE fan-out, 100 clients × 100 events'] = {
        value: median(runs),
        unit: 'ms',
        note: `median of 3; server CPU ${((cpuMs(child!.pid!) - cpu) / 3).toFixed(0)} ms per run`,
      }
      await sleep(500)
      figures['RSS after that load'] = { value: treeRssMiB(child!.pid!), unit: 'MiB' }
    }

    if (wanted('concurrent')) {
      // 20 sessions, each sent 5 prompts at once: the server queues them per session.
      const sessions = await Promise.all(
        Array.from({ length: 20 }, (_, i) => json(base, 'POST', '/session', { title: `concurrent ${i}` })),
      )
      const runs: number[] = []
      let disorder = 0
      const cpu = cpuMs(child!.pid!)
      for (let run = 0; run < 3; run++) {
        for (let i = 0; i < 100; i++) fx.llm.script({ text: ['Hi', ' there'] })
        const started = performance.now()
        await Promise.all(
          sessions.flatMap((session) =>
            Array.from({ length: 5 }, (_, i) =>
              json(base, 'POST', `/session/${session.id}/message`, {
                parts: [{ type: 'text', text: `run ${run} prompt ${i}` }],
              }),
            ),
          ),
        )
        runs.push(performance.now() - started)
        while (fx.llm.pending > 0) fx.llm['turns'].pop()
      }
      // Ordering: in each session every user message comes after the previous one, and an assistant answer follows each.
      for (const session of sessions) {
        const messages: { info: { role: string; id: string; time: { created: number } } }[] = await json(
          base,
          'GET',
          `/session/${session.id}/message`,
        )
        const users = messages.filter((message) => message.info.role === 'user')
        const ids = messages.map((message) => message.info.id)
        if (
          users.length !== 15 ||
          ids.some((id, i) => i > 0 && id < ids[i - 1]!) ||
          messages.at(-1)?.info.role !== 'assistant'
        )
          disorder++
      }
      figures['20 sessions × 5 concurrent prompts'] = {
        value: median(runs),
        unit: 'ms',
        note: `median of 3; server CPU ${((cpuMs(child!.pid!) - cpu) / 3).toFixed(0)} ms per run; ${disorder} of 20 sessions out of order`,
      }
    }

    if (wanted('big')) {
      // A long session: the prompt round trip and the newest page stay flat as history grows.
      const big = await json(base, 'POST', '/session', { title: 'big' })
      await pool([...Array(BIG).keys()], 4, (i) =>
        json(base, 'POST', `/session/${big.id}/message`, {
          noReply: true,
          parts: [{ type: 'text', text: `message ${i}` }],
        }),
      )
      const pages: number[] = []
      for (let i = 0; i < 30; i++) {
        const started = performance.now()
        await json(base, 'GET', `/session/${big.id}/message?limit=50`)
        pages.push(performance.now() - started)
      }
      figures[`newest 50 of ${BIG.toLocaleString('en')} messages`] = {
        value: median(pages),
        unit: 'ms',
        note: 'median of 30',
      }
      const times: number[] = []
      for (let i = 0; i < 12; i++) {
        fx.llm.script({ text: ['Hello', ' there'] })
        const started = performance.now()
        await json(base, 'POST', `/session/${big.id}/message`, { parts: [{ type: 'text', text: `prompt ${i}` }] })
        if (i >= 2) times.push(performance.now() - started)
        fx.llm.requests.length = 0
      }
      figures[`prompt round trip, ${BIG.toLocaleString('en')}-message session`] = {
        value: median(times),
        unit: 'ms',
        note: 'median of 10',
      }
    }
    return figures
  } finally {
    if (child) await stop(child)
    await fx.llm.close()
    rmSync(fx.root, { recursive: true, force: true })
  }
}

/**
 * Event latency across nodes (PostgreSQL): nodes A and B on the one database, an SSE client on B's
 * `/global/event`; `count` session renames sent to A one at a time (after `warmup` untimed ones),
 * each timed from just before the request until B's client has the `session.updated` event. A
 * change travels as A's commit (the row, the event in `kernel_event`, a NOTIFY), then B's read of
 * it and its delivery to the stream.
 */
async function crossNode(port: number, count = 300, warmup = 20): Promise<Figures> {
  const fx = await fixture()
  const nodes: ChildProcess[] = []
  let stream: IncomingMessage | undefined
  try {
    const node = async (nodePort: number, home: string) => {
      const child = ours.launch(fx, nodePort, join(fx.root, home))
      nodes.push(child)
      const base = `http://127.0.0.1:${nodePort}`
      await untilHealthy(`${base}/global/health`, child)
      return { base, pid: child.pid! }
    }
    const a = await node(port, 'home-a')
    const b = await node(port + 2, 'home-b')
    // B's client: resolves `waiting` with the arrival time of the chunk that completes its marker.
    let waiting: { marker: string; resolve: (at: number) => void } | undefined
    let text = ''
    stream = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(`${b.base}/global/event`, { agent: false }, (response) => {
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          const at = performance.now()
          text += chunk
          if (text.includes('server.connected')) resolve(response)
          if (waiting && text.includes(waiting.marker)) {
            const done = waiting
            waiting = undefined
            text = ''
            done.resolve(at)
          } else if (text.length > 4096) text = text.slice(-1024)
        })
      })
      req.on('error', reject)
      req.end()
    })
    const session = await json(a.base, 'POST', '/session', { title: 'cross-node' })
    const latencies: number[] = []
    const answers: number[] = []
    let cpu = { a: 0, b: 0 }
    for (let i = 0; i < warmup + count; i++) {
      if (i === warmup) cpu = { a: cpuMs(a.pid), b: cpuMs(b.pid) }
      const title = `xnode ${i}`
      const received = new Promise<number>((resolve) => (waiting = { marker: `"${title}"`, resolve }))
      const started = performance.now()
      await json(a.base, 'PATCH', `/session/${session.id}`, { title })
      const answered = performance.now()
      const arrived = await received
      if (i >= warmup) {
        latencies.push(arrived - started)
        answers.push(answered - started)
      }
    }
    const perEvent = (pid: number, from: number) => ((cpuMs(pid) - from) / count).toFixed(1)
    const note = `${count} renames on A, one at a time (after ${warmup} untimed); A answered the PATCH in p50 ${median(answers).toFixed(1)} ms; server CPU per event A ${perEvent(a.pid, cpu.a)} ms, B ${perEvent(b.pid, cpu.b)} ms`
    return {
      'event latency across nodes, p50': { value: percentile(latencies, 50), unit: 'ms', note },
      'event latency across nodes, p99': {
        value: percentile(latencies, 99),
        unit: 'ms',
        note: `max ${Math.max(...latencies).toFixed(1)} ms`,
      },
    }
  } finally {
    stream?.destroy()
    for (const node of nodes) await stop(node)
    await fx.llm.close()
    rmSync(fx.root, { recursive: true, force: true })
  }
}

/** `npm start` with nothing changed since the last build, to the first healthy answer. */
async function npmStart(port: number, runs = 3): Promise<number> {
  const fx = await fixture()
  const times: number[] = []
  try {
    for (let i = 0; i < runs; i++) {
      const started = performance.now()
      const child = spawn('npm', ['start', '--silent', '--', '--port', String(port)], {
        cwd: PACKAGE_ROOT,
        env: { ...kernelEnvironment(fx, join(fx.root, `home-${i}`)), npm_config_update_notifier: 'false' },
        stdio: 'ignore',
        detached: true,
      })
      try {
        await untilHealthy(`http://127.0.0.1:${port}/global/health`, child)
        times.push(performance.now() - started)
      } finally {
        // npm runs the server in a child of its own: end the whole group.
        const exited = new Promise((resolve) => child.once('exit', resolve))
        process.kill(-child.pid!, 'SIGTERM')
        await exited
        while (await healthy(`http://127.0.0.1:${port}/global/health`)) await sleep(20)
      }
    }
  } finally {
    await fx.llm.close()
    rmSync(fx.root, { recursive: true, force: true })
  }
  return median(times)
}

const TARGETS: Record<string, string> = {
  'launch to first healthy response': '< 250 ms',
  '`npm start` to healthy, nothing changed': '< 1,000 ms',
  'idle RSS': '< 65 MB',
  'GET /global/health, 10 connections': '> 30,000',
  'GET /session, 100 sessions': '> 12,000',
  'GET /session/:id/message, 20 messages': '> 10,000',
  'prompt round trip (zero-latency LLM)': '< 8 ms',
  'SSE fan-out, 100 clients × 100 events': '< 200 ms',
  'RSS after that load': '< 110 MB',
  '20 sessions × 5 concurrent prompts': '< 1,500 ms',
}

function format(figure: { value: number; unit: string } | undefined): string {
  if (!figure) return '–'
  const digits = figure.value < 10 ? 2 : figure.value < 100 ? 1 : 0
  return `${figure.value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${figure.unit}`
}

const port = Number(process.env.BENCH_PORT ?? 4391)
if (only?.includes('cluster') && !process.env.BENCH_DATABASE)
  throw new Error(
    'BENCH_ONLY=cluster needs BENCH_DATABASE=postgres (or a postgres:// URL): the figure is two nodes on one database',
  )
if (process.env.BENCH_DATABASE) database = await benchDatabase(process.env.BENCH_DATABASE)
const results: Figures = {}
let theirs: Figures | undefined
try {
  // `BENCH_ONLY=cluster` alone starts no single server.
  if (!only || only.some((name) => name !== 'cluster')) Object.assign(results, await measure(ours, port))
  if (wanted('start'))
    results['`npm start` to healthy, nothing changed'] = {
      value: await npmStart(port),
      unit: 'ms',
      note: 'median of 3',
    }
  if (database && wanted('cluster')) Object.assign(results, await crossNode(port))
  const bin = process.env.OPENCODE_BIN
  theirs = bin ? await measure(opencode(bin), port + 1) : undefined
} finally {
  await database?.close()
}
if (database) console.log(`opencode-kernel on ${database.label}\n`)

const rows = [['figure', 'opencode-kernel', ...(theirs ? ['OpenCode', 'ratio'] : []), 'target', 'note']]
for (const [name, figure] of Object.entries(results)) {
  const other = theirs?.[name]
  // The ratio says how many times better ours is: higher rates, lower times and sizes.
  const ratio = other ? (figure.unit === 'req/s' ? figure.value / other.value : other.value / figure.value) : undefined
  rows.push([
    name,
    format(figure),
    ...(theirs ? [format(other), ratio === undefined ? '–' : `${ratio.toFixed(1)}×`] : []),
    TARGETS[name] ?? '',
    figure.note ?? '',
  ])
}
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)))
for (const [i, row] of rows.entries()) {
  console.log(`| ${row.map((cell, j) => cell.padEnd(widths[j]!)).join(' | ')} |`)
  if (i === 0) console.log(`| ${widths.map((width) => '-'.repeat(width)).join(' | ')} |`)
}
// OpenCode's own notes (its server CPU, its ordering in the concurrent figure).
if (theirs)
  for (const [name, figure] of Object.entries(theirs))
    if (figure.note) console.log(`OpenCode, ${name}: ${format(figure)}; ${figure.note}`)
