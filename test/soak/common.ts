// What the soak scenarios share: the scenario shape, a project with the scripted LLM, figures.
import { readdirSync, readFileSync } from 'node:fs'
import { gitRepo, onCleanup, tempDir } from '../support/helper.js'
import { ScriptedLlm } from '../support/llm.js'
import { startServerProcess, writeScriptedConfig, type ServerProcess } from '../support/server-process.js'

export interface ScenarioResult {
  figures?: Record<string, string | number>
  /** Why the scenario could not run on this machine. */
  skipped?: string
}

export interface Scenario {
  name: string
  run(options: { short: boolean }): Promise<ScenarioResult>
}

/** Fails the scenario with `message` unless `condition` holds. */
export function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message)
}

/** A scripted LLM (closed by cleanup) that answers anything not scripted with `fallback`. */
export async function soakLlm(): Promise<ScriptedLlm> {
  const llm = new ScriptedLlm()
  await llm.start()
  onCleanup(() => llm.close())
  return llm
}

export interface Project {
  repo: string
  dataDir: string
  configHome: string
  start(env?: NodeJS.ProcessEnv): Promise<ServerProcess>
}

/** A git project configured for `llm`, a data dir and a config home; servers started from it are killed by cleanup. */
export function project(
  llm: ScriptedLlm,
  options: { dataDir?: string; files?: Record<string, string>; config?: Record<string, unknown> } = {},
): Project {
  const repo = gitRepo(options.files)
  writeScriptedConfig(repo, llm.url, options.config)
  const dataDir = options.dataDir ?? tempDir('ok-soak-data-')
  const configHome = tempDir('ok-soak-config-')
  return {
    repo,
    dataDir,
    configHome,
    async start(env) {
      const server = await startServerProcess({ cwd: repo, dataDir, configHome, env })
      onCleanup(() => server.stop('SIGKILL'))
      return server
    },
  }
}

/** Resident memory of a process, in MB (Linux). */
export function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))
  return Number(line?.match(/(\d+)/)?.[1] ?? 0) / 1024
}

/** Open file descriptors of a process (Linux). */
export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}

/** Runs `task` over `items` with at most `concurrency` at a time. */
export async function pool<T, R>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const index = next++
        results[index] = await task(items[index]!, index)
      }
    }),
  )
  return results
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
