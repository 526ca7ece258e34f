import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../../kernel/core/version.js'

describe('bin/build.js', () => {
  // `npm test` has just built: nothing changed since, so every step is skipped.
  it('skips the type-check and the bundle when no input changed since the last build', function () {
    this.timeout(60000)
    const bundle = join(PACKAGE_ROOT, 'dist', 'opencode-kernel.mjs')
    const before = statSync(bundle).mtimeMs
    const output = execFileSync(process.execPath, ['bin/build.js'], { cwd: PACKAGE_ROOT, encoding: 'utf8' })
    expect(output).to.match(/build: tsc up to date/)
    expect(output).to.match(/build: bundle up to date/)
    expect(statSync(bundle).mtimeMs).to.equal(before)
    const fingerprints = JSON.parse(
      readFileSync(join(PACKAGE_ROOT, 'dist', '.build-fingerprints.json'), 'utf8'),
    ) as Record<string, string>
    expect(fingerprints.tsc).to.match(/^[0-9a-f]{64}$/)
    expect(fingerprints.bundle).to.match(/^[0-9a-f]{64}$/)
  })

  it('for npm start, checks only the bundle (no type-check)', function () {
    this.timeout(60000)
    const output = execFileSync(process.execPath, ['bin/build.js', '--start'], { cwd: PACKAGE_ROOT, encoding: 'utf8' })
    expect(output).to.not.match(/tsc/)
    expect(output).to.match(/build: bundle up to date/)
  })
})
