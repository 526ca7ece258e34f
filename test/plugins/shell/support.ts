// What the shell tests share: a server with the shell plugin in a real git repo, calls with the
// location query, waiting for a command to end, and whether a process group is gone.
import { readFileSync, readdirSync } from 'node:fs'
import { gitRepo, startServer, type TestServer } from '../../support/helper.js'
import { until } from '../../support/wait.js'

export interface ShellHarness {
  server: TestServer
  repo: string
  /** `inject` with JSON; `path` gets `location[directory]=<repo>` (or `directory`) appended. */
  call(method: string, path: string, payload?: unknown, directory?: string): Promise<{ status: number; body: any }>
  /** The command's info once it is no longer running. */
  ended(id: string): Promise<any>
}

export async function shellHarness(plugins: string[] = ['core', 'shell']): Promise<ShellHarness> {
  const repo = gitRepo({ 'README.md': '# test\n', 'src/index.ts': 'export {}\n' })
  const server = await startServer({ cwd: repo, only: plugins })
  const call: ShellHarness['call'] = async (method, path, payload, directory = repo) => {
    const separator = path.includes('?') ? '&' : '?'
    const response = await server.app.inject({
      method: method as 'GET',
      url: `${path}${separator}location[directory]=${encodeURIComponent(directory)}`,
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    return { status: response.statusCode, body: response.body ? response.json() : undefined }
  }
  const ended = async (id: string) => {
    let info: any
    await until(
      async () => {
        info = (await call('GET', `/api/shell/${id}`)).body.data
        return info.status !== 'running'
      },
      10_000,
      `shell ${id} to end`,
    )
    return info
  }
  return { server, repo, call, ended }
}

/** The processes of process group `pgid` still in the process table (zombies included). */
export function groupMembers(pgid: number): number[] {
  const members: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue // ended while listed
    }
    // pid (comm) state ppid pgrp …: comm may hold spaces, so fields count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    if (Number(fields[2]) === pgid) members.push(Number(entry))
  }
  return members
}
