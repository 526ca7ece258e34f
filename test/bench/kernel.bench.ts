// Kernel benchmark: launch-to-healthy time, idle RSS, and /global/health throughput.
// Run with `npm run bench` (not part of `npm test`: figures, not assertions).
import autocannon from 'autocannon'
import { spawn } from 'node:child_process'
import { get } from 'node:http'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../../kernel/version.js'

const PORT = Number(process.env.BENCH_PORT ?? 4391)

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(status.match(/VmRSS:\s+(\d+) kB/)![1]) / 1024
}

// Polls with node:http rather than fetch: undici's first-use cost would be charged to the server.
function healthy(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = get(url, (response) => {
      response.resume()
      response.on('end', () => resolve(response.statusCode === 200))
    })
    request.on('error', () => resolve(false))
  })
}

async function untilHealthy(url: string): Promise<void> {
  while (!(await healthy(url))) await new Promise((resolve) => setTimeout(resolve, 2))
}

function launch(data: string): ReturnType<typeof spawn> {
  return spawn(process.execPath, ['bin/opencode-kernel.js', 'serve', '--port', String(PORT)], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, OPENCODE_KERNEL_DATA: data, LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  })
}

async function stop(child: ReturnType<typeof spawn>): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

export async function benchKernel(launches = 5): Promise<Record<string, string>> {
  const data = mkdtempSync(join(tmpdir(), 'ok-bench-'))
  const url = `http://127.0.0.1:${PORT}`
  const times: number[] = []
  let child: ReturnType<typeof spawn> | undefined
  try {
    // Launch time: the median of several cold launches (a 2-core machine is noisy).
    for (let i = 0; i < launches; i++) {
      const started = performance.now()
      child = launch(data)
      await untilHealthy(`${url}/global/health`)
      times.push(performance.now() - started)
      if (i < launches - 1) await stop(child)
    }
    times.sort((a, b) => a - b)
    const launchMs = times[Math.floor(times.length / 2)]!
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const idleRss = rssMiB(child!.pid!)
    const result = await autocannon({ url: `${url}/global/health`, connections: 10, duration: 10, pipelining: 1 })
    return {
      'launch to first healthy response': `${launchMs.toFixed(0)} ms median of ${launches} (min ${times[0]!.toFixed(0)}, max ${times.at(-1)!.toFixed(0)}; target < 300 ms)`,
      'idle RSS': `${idleRss.toFixed(1)} MiB (target < 80 MB)`,
      '/global/health, 10 connections': `${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms, ${result.errors + result.non2xx} errors (target > 20,000 req/s)`,
    }
  } finally {
    if (child) await stop(child)
    rmSync(data, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchKernel()
  for (const [name, value] of Object.entries(figures)) console.log(`${name}: ${value}`)
}
