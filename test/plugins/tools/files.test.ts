import { expect } from 'chai'
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { defineExtensionPoint } from '../../../kernel/core/extensions.js'
import { cleanup, tempDir } from '../../support/helper.js'
import { toolHarness } from '../../support/tools.js'

describe('tools: write, edit, apply_patch', () => {
  after(cleanup)

  it('write creates files and directories, asks `edit` with the relative path, publishes file.edited', async () => {
    const h = await toolHarness()
    const run = await h.run('write', { filePath: 'src/new.txt', content: 'hello\n' })
    expect(run.error).to.equal(undefined)
    expect(readFileSync(join(h.repo, 'src/new.txt'), 'utf8')).to.equal('hello\n')
    expect(run.result!.title).to.equal('src/new.txt')
    expect(run.result!.metadata).to.deep.include({ filepath: join(h.repo, 'src/new.txt'), exists: false })
    expect(run.asks).to.have.length(1)
    expect(run.asks[0]).to.deep.include({ permission: 'edit', patterns: ['src/new.txt'] })
    expect((run.asks[0]!.metadata as any).diff).to.contain('+hello')
    expect(h.events.find((e) => e.type === 'file.edited')!.properties).to.deep.equal({
      file: join(h.repo, 'src/new.txt'),
    })
  })

  it('edit replaces exactly one match, or all with replaceAll, keeping CRLF endings', async () => {
    const h = await toolHarness({ files: { 'a.txt': 'alpha\nbeta\nalpha\n', 'crlf.txt': 'one\r\ntwo\r\n' } })
    const one = await h.run('edit', { filePath: 'a.txt', oldString: 'beta', newString: 'BETA' })
    expect(one.result!.output).to.equal('Edit applied successfully.')
    expect(readFileSync(join(h.repo, 'a.txt'), 'utf8')).to.equal('alpha\nBETA\nalpha\n')
    expect((one.result!.metadata as any).filediff).to.deep.include({ additions: 1, deletions: 1 })
    await h.run('edit', { filePath: 'a.txt', oldString: 'alpha', newString: 'gamma', replaceAll: true })
    expect(readFileSync(join(h.repo, 'a.txt'), 'utf8')).to.equal('gamma\nBETA\ngamma\n')
    await h.run('edit', { filePath: 'crlf.txt', oldString: 'one\ntwo', newString: 'uno\ndos' })
    expect(readFileSync(join(h.repo, 'crlf.txt'), 'utf8')).to.equal('uno\r\ndos\r\n')
    const created = await h.run('edit', { filePath: 'fresh.txt', oldString: '', newString: 'new file\n' })
    expect(created.error).to.equal(undefined)
    expect(readFileSync(join(h.repo, 'fresh.txt'), 'utf8')).to.equal('new file\n')
  })

  it('edit fails clearly and changes nothing when the text is missing, repeated or identical', async () => {
    const h = await toolHarness({ files: { 'a.txt': 'x = 1\nx = 1\n' } })
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { filePath: 'a.txt', oldString: 'y = 2', newString: 'z' },
        /Could not find oldString in the file\. It must match exactly/,
      ],
      [
        { filePath: 'a.txt', oldString: 'x = 1', newString: 'x = 2' },
        /Found 2 matches for oldString\. Provide more surrounding lines.*replaceAll/,
      ],
      [{ filePath: 'a.txt', oldString: 'x = 1', newString: 'x = 1' }, /oldString and newString must be different/],
      [{ filePath: 'missing.txt', oldString: 'a', newString: 'b' }, /File not found: .*missing\.txt/],
    ]
    for (const [args, message] of cases) {
      const run = await h.run('edit', args)
      expect(run.error?.message).to.match(message)
      expect(readFileSync(join(h.repo, 'a.txt'), 'utf8')).to.equal('x = 1\nx = 1\n')
    }
    expect(existsSync(join(h.repo, 'missing.txt'))).to.equal(false)
    expect(h.events.filter((e) => e.type === 'file.edited')).to.have.length(0)
  })

  it('apply_patch adds, updates, moves and deletes files', async () => {
    const h = await toolHarness({
      files: { 'keep.txt': 'one\ntwo\nthree\n', 'old.txt': 'a\nb\n', 'gone.txt': 'bye\n' },
    })
    const patchText = [
      '*** Begin Patch',
      '*** Add File: added/new.txt',
      '+first',
      '+second',
      '*** Update File: keep.txt',
      '@@',
      ' one',
      '-two',
      '+TWO',
      ' three',
      '*** Update File: old.txt',
      '*** Move to: moved.txt',
      '@@',
      ' a',
      '-b',
      '+B',
      '*** Delete File: gone.txt',
      '*** End Patch',
    ].join('\n')
    const run = await h.run('apply_patch', { patchText })
    expect(run.error).to.equal(undefined)
    expect(run.result!.output).to.equal(
      'Success. Updated the following files:\nA added/new.txt\nM keep.txt\nM moved.txt\nD gone.txt',
    )
    expect(readFileSync(join(h.repo, 'added/new.txt'), 'utf8')).to.equal('first\nsecond\n')
    expect(readFileSync(join(h.repo, 'keep.txt'), 'utf8')).to.equal('one\nTWO\nthree\n')
    expect(readFileSync(join(h.repo, 'moved.txt'), 'utf8')).to.equal('a\nB\n')
    expect(existsSync(join(h.repo, 'old.txt'))).to.equal(false)
    expect(existsSync(join(h.repo, 'gone.txt'))).to.equal(false)
    expect(run.asks).to.have.length(1)
    expect(run.asks[0]!.patterns).to.have.members(['added/new.txt', 'keep.txt', 'old.txt', 'moved.txt', 'gone.txt'])
  })

  it('apply_patch writes nothing when any hunk does not apply', async () => {
    const h = await toolHarness({ files: { 'a.txt': 'one\n', 'b.txt': 'two\n' } })
    const patchText = [
      '*** Begin Patch',
      '*** Update File: a.txt',
      '-one',
      '+ONE',
      '*** Update File: b.txt',
      '-three',
      '+THREE',
      '*** End Patch',
    ].join('\n')
    const run = await h.run('apply_patch', { patchText })
    expect(run.error?.message).to.match(/in b\.txt, the lines to change were not found \(first: "three"\)/)
    expect(readFileSync(join(h.repo, 'a.txt'), 'utf8')).to.equal('one\n')
    expect((await h.run('apply_patch', { patchText: 'no patch here' })).error?.message).to.match(/Begin Patch/)
  })

  it('asks external_directory for `..`, absolute paths and symlinks that point outside', async () => {
    const outside = tempDir('ok-outside-')
    writeFileSync(join(outside, 'x.txt'), 'x\n')
    const h = await toolHarness()
    symlinkSync(outside, join(h.repo, 'linked'))
    const relativeOut = join('..', outside.split('/').pop()!, 'x.txt')
    for (const filePath of [relativeOut, join(outside, 'x.txt'), 'linked/x.txt']) {
      const run = await h.run(
        'write',
        { filePath, content: 'y\n' },
        {
          ask: (request) => {
            if (request.permission === 'external_directory') throw new Error('rejected')
          },
        },
      )
      expect(run.asks[0]).to.deep.include({ permission: 'external_directory', patterns: [outside + '/*'] })
      expect(run.error?.message).to.equal('rejected')
    }
    expect(readFileSync(join(outside, 'x.txt'), 'utf8')).to.equal('x\n')
  })

  it('runs post-edit hooks and gives the model their notes', async () => {
    const h = await toolHarness()
    const { FileEditHook } = await import('../../../sdk/tools.js')
    expect(FileEditHook.id).to.equal(defineExtensionPoint('tools.file-edited').id)
    h.server.kernel.extensions.provide(FileEditHook, 'test', ({ file }) => `formatted ${file}`)
    h.server.kernel.extensions.provide(FileEditHook, 'broken', () => {
      throw new Error('hook broke')
    })
    const run = await h.run('write', { filePath: 'f.txt', content: 'z' })
    expect(run.result!.output).to.contain(`formatted ${join(h.repo, 'f.txt')}`)
  })
})

describe('tools: list, glob, grep (no ripgrep on PATH)', () => {
  after(cleanup)

  /** A PATH holding only git: the built-in searcher must do the work. */
  function pathWithoutRg(): string {
    const bin = tempDir('ok-bin-')
    symlinkSync('/usr/bin/git', join(bin, 'git'))
    return bin
  }

  const files = {
    '.gitignore': 'ignored/\n*.log\n',
    'src/app.ts': 'export function start() {\n  return 1\n}\n',
    'src/util.ts': 'export function helper() {}\n',
    'src/app.test.ts': 'start()\n',
    'ignored/skip.ts': 'export function hidden() {}\n',
    'debug.log': 'function in a log\n',
    'README.md': '# readme\n',
  }

  it('grep finds matching lines, honours .gitignore and include, and reports bad patterns', async () => {
    const h = await toolHarness({ files, env: { PATH: pathWithoutRg() } })
    const run = await h.run('grep', { pattern: 'function \\w+' })
    expect(run.error).to.equal(undefined)
    const output = run.result!.output
    expect(output).to.match(/^Found 2 matches/)
    expect(output).to.contain(`${join(h.repo, 'src/app.ts')}:\n  Line 1: export function start() {`)
    expect(output).to.contain('Line 1: export function helper() {}')
    expect(output).to.not.contain('hidden').and.not.contain('debug.log')
    expect(run.asks[0]).to.deep.include({ permission: 'grep', patterns: ['function \\w+'] })
    expect((await h.run('grep', { pattern: 'start', include: '*.test.ts' })).result!.output).to.match(
      /Found 1 matches[\s\S]*app\.test\.ts/,
    )
    expect((await h.run('grep', { pattern: 'nothing-matches-this' })).result!.output).to.equal('No files found')
    expect((await h.run('grep', { pattern: '(' })).error?.message).to.match(/Invalid regular expression/)
  })

  it('grep does not follow symlinks out of the project', async () => {
    const outside = tempDir('ok-outside-')
    writeFileSync(join(outside, 'secret.txt'), 'TOKEN=hunter2\n')
    const h = await toolHarness({ files, env: { PATH: pathWithoutRg() } })
    symlinkSync(join(outside, 'secret.txt'), join(h.repo, 'leak.txt'))
    symlinkSync(outside, join(h.repo, 'leakdir'))
    writeFileSync(join(h.repo, 'inside.txt'), 'TOKEN=fine\n')
    const output = (await h.run('grep', { pattern: 'TOKEN=' })).result!.output
    expect(output).to.contain('TOKEN=fine').and.not.contain('hunter2')
  })

  it('grep and glob work outside git too, applying .gitignore files', async () => {
    const h = await toolHarness({ env: { PATH: pathWithoutRg() } })
    const plain = tempDir('ok-plain-')
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(join(plain, name, '..'), { recursive: true })
      writeFileSync(join(plain, name), content)
    }
    const grep = await h.run('grep', { pattern: 'function', path: plain })
    expect(grep.result!.output).to.match(/^Found 2 matches/)
    const glob = await h.run('glob', { pattern: '**/*.ts', path: plain })
    expect(glob.result!.output.split('\n').sort()).to.deep.equal(
      ['src/app.test.ts', 'src/app.ts', 'src/util.ts'].map((f) => join(plain, f)),
    )
  })

  it('glob lists matches newest first; list draws a tree', async () => {
    const h = await toolHarness({ files, env: { PATH: pathWithoutRg() } })
    const glob = await h.run('glob', { pattern: 'src/*.ts' })
    expect(glob.result!.output.split('\n')).to.have.members(
      ['src/app.ts', 'src/util.ts', 'src/app.test.ts'].map((f) => join(h.repo, f)),
    )
    expect((await h.run('glob', { pattern: '*.nothing' })).result!.output).to.equal('No files found')
    const list = await h.run('list', {})
    expect(list.result!.output).to.equal(
      [`${h.repo}/`, '  src/', '    app.test.ts', '    app.ts', '    util.ts', '  .gitignore', '  README.md'].join(
        '\n',
      ),
    )
    expect((await h.run('list', { ignore: ['*.test.ts'] })).result!.output).to.not.contain('app.test.ts')
  })
})
