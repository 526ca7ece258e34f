// What the benchmarks share: an empty git repository, a server of this package in a process of
// its own (started with `serve`, answering once it prints "listening"), and the median.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../../kernel/core/version.js'

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

/** `<root>/repo`, a git repository with one empty commit. */
export function emptyRepository(root: string): string {
  const repo = join(root, 'repo')
  execFileSync('git', ['init', '-q', repo])
  execFileSync('git', [
    '-C',
    repo,
    '-c',
    'user.email=b@b',
    '-c',
    'user.name=b',
    'commit',
    '-q',
    '--allow-empty',
    '-m',
    'init',
  ])
  return repo
}

/** A server on `port` serving `repo`, its home, config and data under `root`; resolves once it listens. */
export async function serveRepository(root: string, repo: string, port: number): Promise<ChildProcess> {
  const server = spawn(
    process.execPath,
    [join(PACKAGE_ROOT, 'bin/opencode-kernel.js'), 'serve', '--port', String(port)],
    {
      cwd: repo,
      env: {
        PATH: process.env.PATH,
        HOME: root,
        XDG_CONFIG_HOME: join(root, 'config'),
        OPENCODE_KERNEL_DATA: join(root, 'data'),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('listening') && resolve())
    server.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
  return server
}
