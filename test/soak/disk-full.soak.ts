// The data directory's filesystem full (a small tmpfs; skipped where mounting is not allowed):
// requests fail with a clear 507 (or 500) JSON error, nothing stored is corrupted, and writing
// resumes once space returns.
import Database from 'better-sqlite3'
import { execFileSync } from 'node:child_process'
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { onCleanup, tempDir } from '../support/helper.js'
import { check, project, soakLlm, type Scenario } from './common.js'

/** Writes zeros into `file` until the filesystem refuses; answers the bytes written. */
function fill(file: string): number {
  const fd = openSync(file, 'w')
  const block = Buffer.alloc(64 * 1024)
  let written = 0
  try {
    for (;;) written += writeSync(fd, block)
  } catch {
    // ENOSPC
  } finally {
    closeSync(fd)
  }
  // Then the last few bytes that fit.
  const small = openSync(file + '.tail', 'w')
  try {
    for (;;) written += writeSync(small, Buffer.alloc(512))
  } catch {
    // ENOSPC
  } finally {
    closeSync(small)
  }
  return written
}

const scenario: Scenario = {
  name: "the data directory's filesystem full",
  async run() {
    const mountPoint = tempDir('ok-soak-tmpfs-')
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=16m', 'tmpfs', mountPoint], { stdio: 'pipe' })
    } catch (error) {
      return {
        skipped: `cannot mount a tmpfs here (${String((error as { stderr?: Buffer }).stderr ?? (error as Error).message).trim()})`,
      }
    }
    onCleanup(() => execFileSync('umount', ['-l', mountPoint]))
    const dataDir = join(mountPoint, 'data')
    mkdirSync(dataDir)
    const llm = await soakLlm()
    llm.fallback = () => ({ text: 'stored answer' })
    const p = project(llm, { dataDir })
    const server = await p.start()
    const stored: string[] = []
    for (let i = 0; i < 3; i++) {
      const session = (await server.call('POST', '/session', { title: `before ${i}` })).body
      stored.push(session.id)
      const reply = await server.call('POST', `/session/${session.id}/message`, {
        parts: [{ type: 'text', text: `hello ${i}` }],
      })
      check(reply.status === 200, `prompt before the disk filled: ${reply.status}`)
    }

    const filler = join(mountPoint, 'filler')
    const filled = fill(filler)
    const statuses = new Map<number, number>()
    const unclear: string[] = []
    for (let i = 0; i < 30; i++) {
      const attempts = [
        () => server.call('POST', '/session', { title: `while full ${i}` }),
        () => server.call('PATCH', `/session/${stored[0]}`, { title: `renamed ${i}` }),
        () =>
          server.call('POST', `/session/${stored[1]}/message`, {
            parts: [{ type: 'text', text: `full ${i} ${'x'.repeat(20_000)}` }],
          }),
      ]
      const response = await attempts[i % attempts.length]!()
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1)
      if (
        response.status >= 500 &&
        (typeof response.body?.name !== 'string' || typeof response.body?.data?.message !== 'string')
      )
        unclear.push(`${response.status} ${JSON.stringify(response.body).slice(0, 200)}`)
    }
    const health = await server.call('GET', '/global/health')
    check(health.status === 200, 'the server stopped serving while the disk was full')
    check(unclear.length === 0, `errors that are not JSON errors: ${unclear.slice(0, 3).join('; ')}`)
    const refused = [...statuses.entries()].filter(([status]) => status >= 500).reduce((n, [, c]) => n + c, 0)
    check(refused > 0, `nothing failed with the disk full (${JSON.stringify([...statuses])}): the fill did not work`)
    const crashes = [...statuses.keys()].filter((status) => status >= 500 && status !== 507 && status !== 500)
    check(crashes.length === 0, `unexpected statuses ${crashes.join(', ')}`)

    rmSync(filler)
    rmSync(filler + '.tail')
    const after = await server.call('POST', '/session', { title: 'after' })
    check(
      after.status === 200,
      `writing did not resume once space returned: ${after.status} ${JSON.stringify(after.body)}`,
    )
    const reply = await server.call('POST', `/session/${stored[2]}/message`, {
      parts: [{ type: 'text', text: 'after' }],
    })
    check(reply.status === 200, `prompting did not resume: ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`)
    for (const sessionID of stored)
      check((await server.call('GET', `/session/${sessionID}`)).status === 200, `${sessionID} lost`)
    check(
      (await server.call('GET', '/session/status')).body &&
        JSON.stringify((await server.call('GET', '/session/status')).body) === '{}',
      'a session stayed busy',
    )
    await server.stop('SIGTERM')
    const db = new Database(join(dataDir, 'opencode-kernel.db'))
    const integrity = db.pragma('integrity_check', { simple: true })
    db.close()
    check(integrity === 'ok', `integrity_check: ${String(integrity)}`)
    const again = await p.start()
    for (const sessionID of [...stored, after.body.id])
      check((await again.call('GET', `/session/${sessionID}`)).status === 200, `${sessionID} lost after restart`)
    await again.stop('SIGTERM')
    return {
      figures: {
        'tmpfs size': '16 MB',
        'filler bytes': filled,
        'answers while full': [...statuses.entries()].map(([status, n]) => `${n} × ${status}`).join(', '),
        'writing after space returned': 'resumed',
        integrity_check: String(integrity),
      },
    }
  },
}
export default scenario
