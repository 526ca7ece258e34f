// OpenCode's own command-line clients, installed from the npm registry on first use (into
// test-output/, kept between runs) and run against this server as a user would.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../../kernel/core/version.js'

const PACKAGES = {
  '2.1.2': { name: '@opencode/cli-linux-x64', bin: 'node_modules/@opencode/cli-linux-x64/bin/opencode' },
  '1.18.34': { name: 'opencode-linux-x64', bin: 'node_modules/opencode-linux-x64/bin/opencode' },
} as const

export type OpencodeVersion = keyof typeof PACKAGES

/** The path of OpenCode's binary of `version`, installed with npm if it is not there yet. */
export function opencodeBinary(version: OpencodeVersion): string {
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(
      `OpenCode's published binaries used here are for linux-x64, not ${process.platform}-${process.arch}`,
    )
  const { name, bin } = PACKAGES[version]
  const prefix = join(PACKAGE_ROOT, 'test-output', `opencode-${version}`)
  const binary = join(prefix, bin)
  if (existsSync(binary)) return binary
  // Installed beside, then renamed into place: two suites running at once (CI) never see half.
  const staging = `${prefix}.${process.pid}`
  mkdirSync(staging, { recursive: true })
  const npm = spawnSync(
    'npm',
    ['install', '--prefix', staging, '--no-save', '--no-audit', '--no-fund', `${name}@${version}`],
    { encoding: 'utf8', timeout: 300_000 },
  )
  if (npm.status !== 0 || !existsSync(join(staging, bin))) {
    rmSync(staging, { recursive: true, force: true })
    throw new Error(`npm install ${name}@${version} failed: ${npm.stderr || npm.error}`)
  }
  try {
    renameSync(staging, prefix)
  } catch {
    // The other suite put its copy there first.
    rmSync(staging, { recursive: true, force: true })
  }
  return binary
}

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Strips terminal colours, so a test reads the words. */
export function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '')
}

/**
 * Runs `opencode <args>` in `cwd` with a private HOME and no inherited OpenCode settings;
 * resolves with its exit code and output once it exits (killed after `timeoutMs`).
 */
export function runOpencode(
  binary: string,
  args: string[],
  options: { cwd: string; home: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, {
      cwd: options.cwd,
      env: {
        PATH: process.env.PATH,
        HOME: options.home,
        PWD: options.cwd,
        XDG_CONFIG_HOME: join(options.home, '.config'),
        XDG_DATA_HOME: join(options.home, '.local/share'),
        XDG_STATE_HOME: join(options.home, '.local/state'),
        XDG_CACHE_HOME: join(options.home, '.cache'),
        NO_COLOR: '1',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000)
    child.on('error', reject)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout: plain(stdout), stderr: plain(stderr) })
    })
  })
}
