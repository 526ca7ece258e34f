// Bad values on a cluster: a NUL from a client is a 400 and changes nothing; one a plugin stores
// anyway reaches PostgreSQL as U+FFFD, and neither stops the node committing its later writes.
import { expect } from 'chai'
import { join } from 'node:path'
import { cleanup, gitRepo } from '../../support/helper.js'
import { PLUGINS } from '../../support/session.js'
import { until } from '../../support/wait.js'
import { database, node, scriptedProject, sql, stopPostgres } from './setup.js'

async function mirroredTitle(url: string, id: string): Promise<string | undefined> {
  return (await sql<{ title: string }>(url, 'SELECT title FROM session WHERE id = $1', [id]))[0]?.title
}

describe('cluster: bad values, read-your-writes, node ids', function () {
  this.timeout(120_000)
  after(stopPostgres)
  afterEach(cleanup)

  it('refuses a NUL in a title (v1 and 2.1) with a 400, and the node goes on committing', async () => {
    const url = await database()
    const repo = gitRepo()
    const a = await node(url, 'node-a', { only: PLUGINS, cwd: repo })
    const b = await node(url, 'node-b', { only: PLUGINS, cwd: repo })
    const q = `?directory=${encodeURIComponent(repo)}`
    const created = await a.call('POST', `/session${q}`, { title: 'clean' })
    expect(created.status).to.equal(200)
    const id = created.body.id as string

    const v1 = await a.call('PATCH', `/session/${id}${q}`, { title: 'bad\u0000title' })
    expect(v1.status).to.equal(400)
    expect(v1.body.name).to.equal('BadRequest')
    expect(v1.body.data.message).to.include('NUL')
    const v2 = await a.call('PATCH', `/api/session/${id}`, { title: 'bad\u0000title' })
    expect(v2.status).to.equal(400)
    expect(v2.body).to.include({ _tag: 'InvalidRequestError', field: 'title' })
    // An escaped backslash before `u0000` is text, not a NUL.
    const literal = await a.call('PATCH', `/session/${id}${q}`, { title: 'a \\u0000 b' })
    expect(literal.status).to.equal(200)

    const renamed = await a.call('PATCH', `/session/${id}${q}`, { title: 'after' })
    expect(renamed.status).to.equal(200)
    await until(async () => (await b.call('GET', `/session/${id}${q}`)).body?.title === 'after', 10_000)
    expect(await mirroredTitle(url, id)).to.equal('after')
  })

  it('writes a NUL a plugin stores as U+FFFD to PostgreSQL, and keeps committing', async () => {
    const url = await database()
    const repo = gitRepo()
    const a = await node(url, 'node-a', { only: PLUGINS, cwd: repo })
    const b = await node(url, 'node-b', { only: PLUGINS, cwd: repo })
    const q = `?directory=${encodeURIComponent(repo)}`
    const instance = await a.server.kernel.instances.get(repo)
    const stored = a.server.app.sessions.create(instance, { title: 'nul\u0000inside' })
    await until(async () => (await mirroredTitle(url, stored.id)) !== undefined, 10_000)
    expect(await mirroredTitle(url, stored.id)).to.equal('nul\ufffdinside')
    // The local copy keeps what the plugin stored.
    expect((await a.call('GET', `/session/${stored.id}${q}`)).body.title).to.equal('nul\u0000inside')

    const next = await a.call('POST', `/session${q}`, { title: 'later' })
    expect(next.status).to.equal(200)
    await until(async () => (await b.call('GET', `/session/${next.body.id}${q}`)).status === 200, 10_000)
    expect(await mirroredTitle(url, next.body.id)).to.equal('later')
  })

  it('reads a write made through one node on another at once, 100 times of 100', async () => {
    const url = await database()
    const repo = gitRepo()
    const a = await node(url, 'node-a', { only: PLUGINS, cwd: repo })
    const b = await node(url, 'node-b', { only: PLUGINS, cwd: repo })
    let seen = 0
    for (let i = 0; i < 100; i++) {
      const created = await a.call('POST', '/api/session', { location: { directory: repo }, title: `s${i}` })
      expect(created.status).to.equal(200)
      const read = await b.call('GET', `/api/session/${created.body.data.id}`)
      if (read.status === 200 && read.body.data.title === `s${i}`) seen++
    }
    expect(seen).to.equal(100)
  })

  it('refuses to start a second node with the id of a running one, and starts once the id is free', async () => {
    const url = await database()
    const a = await node(url, 'node-same')
    let refused: unknown
    await node(url, 'node-same').catch((error: unknown) => (refused = error))
    expect(String(refused)).to.match(/another running node of this cluster has the node id "node-same"/)
    expect((await a.call('GET', '/global/health')).status).to.equal(200)
    await a.server.close()
    const again = await node(url, 'node-same')
    expect((await again.node()).id).to.equal('node-same')
  })

  it('shows a row fixed by hand in SQL on every running node', async () => {
    const url = await database()
    const repo = gitRepo()
    const a = await node(url, 'node-a', { only: PLUGINS, cwd: repo })
    const b = await node(url, 'node-b', { only: PLUGINS, cwd: repo })
    const q = `?directory=${encodeURIComponent(repo)}`
    const created = await a.call('POST', `/session${q}`, { title: 'typo' })
    expect((await a.call('PATCH', `/session/${created.body.id}${q}`, { title: 'still a typo' })).status).to.equal(200)
    await sql(
      url,
      `UPDATE session SET title = 'fixed by hand', data = jsonb_set(data::jsonb, '{title}', '"fixed by hand"')::text WHERE id = $1`,
      [created.body.id],
    )
    for (const server of [a, b])
      await until(
        async () => (await server.call('GET', `/session/${created.body.id}${q}`)).body?.title === 'fixed by hand',
        10_000,
        `the fix on ${server.base}`,
      )
    // The nodes' own writes are not taken for hand edits.
    const [hand] = await sql(url, "SELECT count(*)::int AS n FROM kernel_change WHERE node = 'sql'")
    expect(hand.n).to.equal(1)
  })

  it('loses no input when two owners admit inputs at once (keys are ids, not per-node counters)', async () => {
    const url = await database()
    const [{ repo: one }, { repo: two }] = [await scriptedProject(), await scriptedProject()]
    const a = await node(url, 'node-a', { only: PLUGINS, cwd: one })
    const b = await node(url, 'node-b', { only: PLUGINS, cwd: two })
    const first = (await a.call('POST', '/api/session', { location: { directory: one } })).body.data.id as string
    const second = (await b.call('POST', '/api/session', { location: { directory: two } })).body.data.id as string
    // Parked inputs (`resume: false`): admitted and kept, no model needed.
    const admit = (owner: typeof a, sessionID: string, i: number) =>
      owner.call('POST', `/api/session/${sessionID}/prompt`, { text: `input ${i}`, resume: false })
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => [admit(a, first, i), admit(b, second, i)]).flat(),
    )
    expect(answers.map((answer) => answer.status)).to.deep.equal(answers.map(() => 200))
    for (const reader of [a, b])
      for (const sessionID of [first, second]) {
        const inbox = await reader.call('GET', `/api/session/${sessionID}/inbox`)
        expect(inbox.status).to.equal(200)
        expect(inbox.body.data.map((item: any) => item.payload.text).sort()).to.deep.equal(
          Array.from({ length: 20 }, (_, i) => `input ${i}`).sort(),
        )
      }
    const [inputs] = await sql(url, 'SELECT count(*)::int AS n FROM session_input')
    expect(inputs.n).to.equal(40)
  })

  it('runs beside a newer version that accepts its writes, and refuses a database a newer one closed to it', async () => {
    const url = await database()
    await node(url, 'node-a')
    const schema = async () =>
      JSON.parse((await sql(url, "SELECT value FROM kernel_meta WHERE key = 'schema'"))[0].value)
    expect(await schema()).to.deep.equal({ version: 2, compatibleFrom: 2 })
    // A rolling upgrade: the new version still takes this one's writes.
    const compatible = JSON.stringify({ version: 3, compatibleFrom: 2 })
    await sql(url, "UPDATE kernel_meta SET value = $1 WHERE key = 'schema'", [compatible])
    expect((await (await node(url, 'node-b')).node()).id).to.equal('node-b')
    expect(await schema()).to.deep.equal({ version: 3, compatibleFrom: 2 })
    // Once the new version has contracted what this one needs, this one refuses to start.
    await sql(url, "UPDATE kernel_meta SET value = $1 WHERE key = 'schema'", [
      JSON.stringify({ version: 4, compatibleFrom: 3 }),
    ])
    let refused: unknown
    await node(url, 'node-c').catch((error: unknown) => (refused = error))
    expect(String(refused)).to.include(
      'the database is used by a newer version of opencode-kernel (cluster schema 4, for nodes of schema 3 or later); this node knows schema 2: upgrade it',
    )
  })

  it('keeps both of two concurrent updates of different fields of one shared row (a project) made through two nodes', async () => {
    const url = await database()
    const repo = gitRepo({ 'sub/readme.md': 'a subdirectory of the same project\n' })
    const sub = join(repo, 'sub')
    const a = await node(url, 'node-a', { only: [...PLUGINS, 'project'], cwd: repo })
    const b = await node(url, 'node-b', { only: [...PLUGINS, 'project'], cwd: sub })
    const at = (directory: string) => `?directory=${encodeURIComponent(directory)}`
    // A runs the project's root, B its subdirectory: one project row, two owners.
    const project = (await a.call('GET', `/project/current${at(repo)}`)).body
    expect(project.id).to.be.a('string')
    expect((await b.call('GET', `/project/current${at(sub)}`)).body.id).to.equal(project.id)
    expect((await b.node()).instances).to.deep.equal([sub])
    for (let round = 0; round < 10; round++) {
      const [named, colored] = await Promise.all([
        a.call('PATCH', `/project/${project.id}${at(repo)}`, { name: `name ${round}` }),
        b.call('PATCH', `/project/${project.id}${at(sub)}`, { commands: { start: `start ${round}` } }),
      ])
      expect([named.status, colored.status]).to.deep.equal([200, 200])
    }
    for (const [server, directory] of [
      [a, repo],
      [b, sub],
    ] as const)
      await until(
        async () => {
          const seen = (await server.call('GET', `/project/current${at(directory)}`)).body
          return seen.name === 'name 9' && seen.commands?.start === 'start 9'
        },
        10_000,
        `both changes on ${server.base}`,
      )
    const [row] = await sql(url, 'SELECT name, commands FROM project WHERE id = $1', [project.id])
    expect(row.name).to.equal('name 9')
    expect(JSON.parse(row.commands)).to.deep.equal({ start: 'start 9' })
  })
})
