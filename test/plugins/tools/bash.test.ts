import { expect } from 'chai'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { cleanup, sleep } from '../../support/helper.js'
import { toolHarness } from '../../support/tools.js'
import { alwaysPattern, splitCommands } from '../../../plugins/tools/shell.js'

/** Whether the process still runs (a zombie waiting to be reaped counts as gone). */
function running(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

/** Waits up to a second for the process to go. */
async function alive(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && running(pid); i++) await sleep(10)
  return running(pid)
}

async function readPid(file: string): Promise<number> {
  for (let i = 0; i < 200; i++) {
    try {
      const pid = Number(readFileSync(file, 'utf8').trim())
      if (pid > 0) return pid
    } catch {
      // not written yet
    }
    await sleep(10)
  }
  throw new Error('no pid written')
}

describe('tool: bash', () => {
  after(cleanup)

  it('runs in the project directory and reports output and exit code', async () => {
    const h = await toolHarness()
    const run = await h.run('bash', {
      command: 'pwd && echo out && echo err >&2 && exit 3',
      description: 'Print things',
    })
    expect(run.error).to.equal(undefined)
    expect(run.result!.title).to.equal('Print things')
    expect(run.result!.output).to.equal(`${h.repo}\nout\nerr\n`)
    expect(run.result!.metadata).to.deep.include({ exit: 3, truncated: false, description: 'Print things' })
  })

  it("never shows commands the server's password", async () => {
    const h = await toolHarness({
      env: { PATH: process.env.PATH, OPENCODE_SERVER_PASSWORD: 'hunter2', OTHER_VAR: 'kept' },
    })
    const run = await h.run('bash', {
      command: 'echo "${OPENCODE_SERVER_PASSWORD:-unset} $OTHER_VAR"',
      description: 'env',
    })
    expect(run.result!.output).to.equal('unset kept\n')
  })

  it('asks `bash` per command with `always` prefixes, and external_directory for paths outside', async () => {
    const h = await toolHarness()
    const run = await h.run('bash', { command: 'git status && echo "a && b" | wc -l', description: 'x' })
    const ask = run.asks.find((a) => a.permission === 'bash')!
    expect(ask.patterns).to.deep.equal(['git status', 'echo "a && b"', 'wc -l'])
    expect(ask.always).to.deep.equal(['git status *', 'echo *', 'wc *'])
    const outside = await h.run('bash', { command: 'cd /usr/share && ls', description: 'x' })
    expect(outside.asks[0]).to.deep.include({ permission: 'external_directory', patterns: ['/usr/share/*'] })
    const workdir = await h.run('bash', { command: 'ls', workdir: '/usr', description: 'x' })
    expect(workdir.asks[0]).to.deep.include({ permission: 'external_directory', patterns: ['/usr/*'] })
    expect(splitCommands('a; b || c & d 2>&1')).to.deep.equal(['a', 'b', 'c', 'd 2>&1'])
    expect(alwaysPattern('FOO=1 npm run build')).to.equal('npm run *')
  })

  it('streams output into metadata while it runs, throttled', async () => {
    const h = await toolHarness()
    const run = await h.run('bash', {
      command: 'for i in 1 2 3 4 5; do echo line$i; sleep 0.1; done',
      description: 'Count',
    })
    expect(run.result!.output).to.equal('line1\nline2\nline3\nline4\nline5\n')
    const outputs = run.updates.map((u) => (u.metadata as any).output as string)
    expect(outputs.length).to.be.within(2, 10)
    expect(outputs[0]).to.match(/^line1/)
    expect(outputs.at(-1)).to.contain('line5')
  })

  it('kills the whole process group on timeout, grandchildren included', async () => {
    const h = await toolHarness()
    const pidFile = join(h.repo, 'pid.txt')
    const run = await h.run('bash', {
      command: `sleep 300 & echo $! > ${pidFile}; echo started; wait`,
      timeout: 500,
      description: 'Hang',
    })
    const pid = await readPid(pidFile)
    expect(run.result!.output)
      .to.contain('started')
      .and.contain('bash tool terminated command after exceeding timeout 500 ms')
    expect(await alive(pid)).to.equal(false)
  })

  it('kills the whole process group on abort, grandchildren included', async () => {
    const h = await toolHarness()
    const pidFile = join(h.repo, 'pid.txt')
    const controller = new AbortController()
    const started = Date.now()
    const pending = h.run(
      'bash',
      { command: `sleep 300 & echo $! > ${pidFile}; wait`, description: 'Hang' },
      { signal: controller.signal },
    )
    const pid = await readPid(pidFile)
    controller.abort()
    const run = await pending
    expect(Date.now() - started).to.be.below(5000)
    expect(run.result!.output).to.contain('User aborted the command')
    expect(await alive(pid)).to.equal(false)
  })

  it('does not leave background children running after the command ends', async () => {
    const h = await toolHarness()
    const pidFile = join(h.repo, 'pid.txt')
    const run = await h.run('bash', {
      command: `(sleep 300 >/dev/null 2>&1 &) ; sleep 300 > /dev/null 2>&1 & echo $! > ${pidFile}`,
      description: 'Daemon',
    })
    expect(run.error).to.equal(undefined)
    const pid = await readPid(pidFile)
    expect(await alive(pid)).to.equal(false)
  })

  it('truncates huge output and keeps the full text in a file the read tool may read', async () => {
    const h = await toolHarness()
    const run = await h.run('bash', { command: 'seq 1 100000', description: 'Lots' })
    const { output, metadata } = run.result!
    expect((metadata as any).truncated).to.equal(true)
    const path = (metadata as any).outputPath as string
    expect(output)
      .to.match(/^1\n2\n3\n/)
      .and.contain(`The full output was saved to ${path}`)
    expect(Buffer.byteLength(output)).to.be.below(60 * 1024)
    expect(readFileSync(path, 'utf8').split('\n')).to.have.length(100001)
    const read = await h.run('read', { filePath: path, offset: 99990, limit: 5 })
    expect(read.asks.map((a) => a.permission)).to.deep.equal(['read'])
    expect(read.result!.output).to.contain('99991| 99991')
  })
})

describe('tool output files', () => {
  after(cleanup)

  it('are pruned after a week', async () => {
    const { pruneOutputs } = await import('../../../plugins/tools/truncate.js')
    const { mkdirSync, utimesSync, writeFileSync, existsSync } = await import('node:fs')
    const { tempDir } = await import('../../support/helper.js')
    const dir = tempDir('ok-output-')
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'old.txt'), 'old')
    writeFileSync(join(dir, 'new.txt'), 'new')
    const eightDaysAgo = (Date.now() - 8 * 24 * 60 * 60 * 1000) / 1000
    utimesSync(join(dir, 'old.txt'), eightDaysAgo, eightDaysAgo)
    await pruneOutputs(dir)
    expect(existsSync(join(dir, 'old.txt'))).to.equal(false)
    expect(existsSync(join(dir, 'new.txt'))).to.equal(true)
  })
})
