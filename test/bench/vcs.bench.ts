// VCS benchmark: GET /vcs/status and GET /vcs/diff?mode=git of a 10,000-file repository with
// 100 changed files (60 modified, 20 deleted, 20 untracked). Run with `npm run bench` (figures,
// not assertions).
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { median, serveRepository } from './setup.js'

const FILES = 10_000

function buildRepository(repo: string): void {
  execFileSync('git', ['init', '-q', '-b', 'main', repo])
  const body =
    Array.from({ length: 40 }, (_, line) => `export const value${line} = ${line} // some source text`).join('\n') + '\n'
  for (let i = 0; i < FILES; i++) {
    const dir = join(repo, 'src', `module${Math.floor(i / 100)}`)
    if (i % 100 === 0) mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, `file${i}.ts`), `// file ${i}\n${body}`)
  }
  execFileSync('git', ['-C', repo, 'add', '.'])
  execFileSync('git', ['-C', repo, '-c', 'user.email=b@b', '-c', 'user.name=b', 'commit', '-q', '-m', 'init'])
  const file = (i: number) => join(repo, 'src', `module${Math.floor(i / 100)}`, `file${i}.ts`)
  for (let i = 0; i < 60; i++)
    writeFileSync(file(i * 97), `// file ${i * 97}, changed\n${body}export const added = true\n`)
  for (let i = 0; i < 20; i++) unlinkSync(file(i * 131 + 7))
  for (let i = 0; i < 20; i++) writeFileSync(join(repo, 'src', `module${i}`, `new${i}.ts`), body)
  // As in a repository someone works in: the index's stat data is fresh (files written in the
  // same second as the index would each be read again by every diff, git's "racy" entries).
  execFileSync('sleep', ['1'])
  execFileSync('git', ['-C', repo, 'status', '--porcelain'])
}

/** CPU time (ms) the server and the git processes it waited for have used so far. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  // utime, stime, cutime, cstime (fields 14-17 of the file, counted from the state field here).
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0)
  return (ticks * 1000) / 100
}

/** Wall-clock median, and CPU per request: on a busy shared machine the CPU figure is the steadier one. */
async function time(url: string, runs: number, pid: number): Promise<{ ms: number; cpu: number; files: number }> {
  const times: number[] = []
  let files = 0
  let cpuBefore = 0
  for (let i = 0; i < runs + 3; i++) {
    if (i === 3) cpuBefore = cpuMs(pid)
    const started = performance.now()
    const response = await fetch(url)
    const body = (await response.json()) as unknown[]
    if (!response.ok) throw new Error(`${url}: ${response.status}`)
    if (i >= 3) times.push(performance.now() - started)
    files = body.length
  }
  return { ms: median(times), cpu: (cpuMs(pid) - cpuBefore) / runs, files }
}

export async function benchVcs(runs = 15): Promise<Record<string, string>> {
  const root = mkdtempSync(join(tmpdir(), 'ok-bench-vcs-'))
  const repo = join(root, 'repo')
  buildRepository(repo)
  const port = Number(process.env.BENCH_PORT ?? 4393)
  const server = await serveRepository(root, repo, port)
  try {
    const base = `http://127.0.0.1:${port}`
    const status = await time(`${base}/vcs/status`, runs, server.pid!)
    const diff = await time(`${base}/vcs/diff?mode=git`, runs, server.pid!)
    const line = (result: { ms: number; cpu: number; files: number }) =>
      `${result.ms.toFixed(0)} ms median of ${runs} (${result.cpu.toFixed(0)} ms CPU per request, git included), ${result.files} files (target < 300 ms)`
    return {
      'GET /vcs/status (10,000 files, 100 changed)': line(status),
      'GET /vcs/diff?mode=git (10,000 files, 100 changed)': line(diff),
    }
  } finally {
    const exited = new Promise((resolve) => server.once('exit', resolve))
    server.kill('SIGTERM')
    await exited
    rmSync(root, { recursive: true, force: true })
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await benchVcs()
  for (const [name, value] of Object.entries(figures)) console.log(`${name}: ${value}`)
}
