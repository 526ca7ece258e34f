import { expect } from 'chai'
import { statSync } from 'node:fs'
import { cleanup } from '../../support/helper.js'
import { expectMatches21 } from '../../support/openapi.js'
import { shellHarness, type ShellHarness } from './support.js'

/** Every page from `cursor` 0 on, `limit` bytes each, until the cursor stops moving. */
async function allPages(call: ShellHarness['call'], id: string, limit: number): Promise<any[]> {
  const pages: any[] = []
  let cursor = 0
  for (;;) {
    const page = (await call('GET', `/api/shell/${id}/output?cursor=${cursor}&limit=${limit}`)).body.data
    pages.push(page)
    if (page.cursor === cursor) return pages
    cursor = page.cursor
  }
}

describe('shell: output', () => {
  afterEach(cleanup)

  it('pages output by byte cursor and limit, and answers "" past the end', async () => {
    const { call, ended } = await shellHarness()
    const shell = (await call('POST', '/api/shell', { command: 'printf 0123456789' })).body.data
    await ended(shell.id)
    const page = async (query: string) => (await call('GET', `/api/shell/${shell.id}/output?${query}`)).body
    const middle = await page('cursor=2&limit=3')
    expectMatches21('GET', '/api/shell/{id}/output', 200, middle)
    expect(middle.data).to.deep.equal({ output: '234', cursor: 5, size: 10, truncated: false })
    expect((await page('cursor=5')).data).to.deep.equal({ output: '56789', cursor: 10, size: 10, truncated: false })
    expect((await page('cursor=10')).data).to.deep.equal({ output: '', cursor: 10, size: 10, truncated: false })
    expect((await page('cursor=999')).data).to.deep.equal({ output: '', cursor: 10, size: 10, truncated: false })
    const pages = await allPages(call, shell.id, 4)
    expect(pages.map((p) => p.output)).to.deep.equal(['0123', '4567', '89', ''])
  })

  it('answers 65536 bytes by default and at most 1 MiB however large the limit', async () => {
    const { call, ended } = await shellHarness()
    const shell = (await call('POST', '/api/shell', { command: 'head -c 3000000 /dev/zero | tr "\\0" a' })).body.data
    await ended(shell.id)
    const first = (await call('GET', `/api/shell/${shell.id}/output`)).body.data
    expect(first.output.length).to.equal(65_536)
    expect(first).to.include({ cursor: 65_536, size: 3_000_000, truncated: false })
    const large = (await call('GET', `/api/shell/${shell.id}/output?cursor=10&limit=100000000`)).body.data
    expect(large.output.length).to.equal(1024 * 1024)
    expect(large.cursor).to.equal(10 + 1024 * 1024)
  })

  it('never ends a page inside a UTF-8 character, so pages joined give the text back', async () => {
    const { call, ended } = await shellHarness()
    const text = 'aé€😀b\n'
    const shell = (await call('POST', '/api/shell', { command: `printf '${text}'` })).body.data
    await ended(shell.id)
    const size = Buffer.byteLength(text)
    for (const limit of [1, 2, 3, 5]) {
      const pages = await allPages(call, shell.id, limit)
      expect(pages.map((page) => page.output).join(''), `limit ${limit}`).to.equal(text)
      expect(pages.at(-1)).to.include({ cursor: size, size })
      for (const page of pages) expect(page.output, `limit ${limit}`).to.not.include('\uFFFD')
    }
    // A character longer than the limit comes whole: a client paging on always moves.
    const emoji = (await call('GET', `/api/shell/${shell.id}/output?cursor=6&limit=1`)).body.data
    expect(emoji).to.include({ output: '😀', cursor: 10 })
  })

  it('pages the output of a running command as it grows', async () => {
    const { call, ended } = await shellHarness()
    const shell = (
      await call('POST', '/api/shell', { command: 'echo first; while [ ! -e go ]; do sleep 0.05; done; echo second' })
    ).body.data
    let page: any
    for (let i = 0; i < 100 && !(page?.output === 'first\n'); i++) {
      page = (await call('GET', `/api/shell/${shell.id}/output`)).body.data
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(page).to.include({ output: 'first\n', cursor: 6, size: 6 })
    await call('POST', '/api/shell', { command: 'touch go' })
    await ended(shell.id)
    const next = (await call('GET', `/api/shell/${shell.id}/output?cursor=6`)).body.data
    expect(next).to.deep.equal({ output: 'second\n', cursor: 13, size: 13, truncated: false })
  })

  it('keeps 32 MiB of output per command and says the rest was dropped, while the command runs to its end', async function () {
    this.timeout(30_000)
    const { call, ended } = await shellHarness()
    const cap = 32 * 1024 * 1024
    const shell = (
      await call('POST', '/api/shell', { command: `head -c ${cap + 1000} /dev/zero | tr "\\0" a; echo; echo end` })
    ).body.data
    expect(await ended(shell.id)).to.include({ status: 'exited', exit: 0 })
    expect(statSync(shell.file).size).to.equal(cap)
    const tail = (await call('GET', `/api/shell/${shell.id}/output?cursor=${cap - 3}`)).body.data
    expect(tail).to.deep.equal({ output: 'aaa', cursor: cap, size: cap, truncated: true })
    expectMatches21('GET', '/api/shell/{id}/output', 200, { location: { directory: shell.cwd }, data: tail })
    const small = (await call('POST', '/api/shell', { command: 'echo small' })).body.data
    await ended(small.id)
    expect((await call('GET', `/api/shell/${small.id}/output`)).body.data.truncated).to.equal(false)
  })
})
