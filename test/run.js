// Runs the compiled mocha suite and ends with the line CI reads: "N passed, N failed".
import Mocha from 'mocha'
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('../dist/test/', import.meta.url).pathname
const filter = process.argv[2]

function testFiles(dir) {
  const out = []
  for (const entry of readdirSync(dir).sort()) {
    const path = join(dir, entry)
    if (entry === 'fixtures') continue
    if (statSync(path).isDirectory()) out.push(...testFiles(path))
    else if (entry.endsWith('.test.js') && (!filter || path.includes(filter))) out.push(path)
  }
  return out
}

const mocha = new Mocha({ reporter: 'spec', timeout: 20000, slow: 1000 })
for (const file of testFiles(root)) mocha.addFile(file)
await mocha.loadFilesAsync()
const runner = mocha.run((failures) => {
  const { passes = 0, failures: failed = 0, pending = 0 } = runner.stats ?? {}
  console.log(`\n${passes} passed, ${Math.max(failed, failures)} failed${pending ? `, ${pending} skipped` : ''}`)
  process.exitCode = failures > 0 ? 1 : 0
  // Lingering handles (a leaked socket, a child) must not hang CI after the report.
  setTimeout(() => process.exit(process.exitCode), 2000).unref()
})
