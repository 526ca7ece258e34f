import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The package root: the nearest folder above this file with our package.json (source or dist). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const file = join(dir, 'package.json')
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'opencode-kernel')
      return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error('opencode-kernel: package.json not found above ' + import.meta.url)
    dir = parent
  }
}

export const PACKAGE_ROOT = packageRoot()

/** This server's version, from package.json (also reported by `/global/health`). */
export const KERNEL_VERSION = (
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
).version
