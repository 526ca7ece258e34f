// `npm run soak [-- --short] [name...]`: runs every scenario in this folder (`*.soak.js` once
// compiled), each against real server processes, prints its figures, and exits non-zero when
// any scenario fails. Not part of `npm test`; `.ci/run` runs the `--short` version after it.
import { readdirSync } from 'node:fs'
import { cleanup } from '../support/helper.js'
import type { Scenario } from './common.js'

const args = process.argv.slice(2)
const short = args.includes('--short')
const only = args.filter((a) => !a.startsWith('--'))
const dir = new URL('.', import.meta.url).pathname
const files = readdirSync(dir)
  .filter((name) => name.endsWith('.soak.js'))
  .sort()
  .filter((name) => only.length === 0 || only.some((o) => name.includes(o)))

let failed = 0
const started = Date.now()
for (const file of files) {
  const scenario = (await import(new URL(file, import.meta.url).href)).default as Scenario
  const begin = Date.now()
  process.stdout.write(`\n▶ ${scenario.name}${short ? ' (short)' : ''}\n`)
  try {
    const result = await scenario.run({ short })
    const seconds = ((Date.now() - begin) / 1000).toFixed(1)
    if (result.skipped) process.stdout.write(`  SKIPPED (${seconds} s): ${result.skipped}\n`)
    else process.stdout.write(`  ok (${seconds} s)\n`)
    for (const [key, value] of Object.entries(result.figures ?? {})) process.stdout.write(`    ${key}: ${value}\n`)
  } catch (error) {
    failed++
    process.stdout.write(
      `  FAILED (${((Date.now() - begin) / 1000).toFixed(1)} s): ${(error as Error).stack ?? error}\n`,
    )
  } finally {
    await cleanup().catch((error: unknown) => process.stdout.write(`  cleanup failed: ${(error as Error).message}\n`))
  }
}
process.stdout.write(
  `\nsoak: ${files.length - failed} passed, ${failed} failed (${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
)
process.exit(failed ? 1 : 0)
