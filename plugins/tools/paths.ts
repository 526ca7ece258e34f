import { realpath } from 'node:fs/promises'
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path'
import type { ToolContext } from '../../kernel/tool.js'

function contains(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel === '' || (rel !== '..' && !rel.startsWith('..' + sep) && !isAbsolute(rel))
}

/** The real path (symlinks followed) of `path`, or of its nearest existing ancestor plus the rest. */
async function realish(path: string): Promise<string> {
  try {
    return await realpath(path)
  } catch {
    const parent = dirname(path)
    if (parent === path) return path
    return resolve(await realish(parent), relative(parent, path))
  }
}

/**
 * Resolves a path a model gave against the instance directory and asks the permissions it needs:
 * `external_directory` when it lies outside the project and the `trusted` directories (symlinks
 * followed), then `permission`.
 */
export async function resolveProjectPath(context: ToolContext, given: string, permission: string, trusted: readonly string[] = []): Promise<string> {
  const { instance } = context
  const path = isAbsolute(given) ? resolve(given) : resolve(instance.directory, given)
  const real = await realish(path)
  const root = await realish(instance.worktree)
  const outside = !contains(root, real) && !contains(await realish(instance.directory), real)
  let isTrusted = false
  for (const dir of trusted) if (contains(await realish(dir), real)) isTrusted = true
  if (outside && !isTrusted) {
    const parentDir = dirname(real)
    await context.ask({ permission: 'external_directory', patterns: [parentDir + '/*'], always: [parentDir + '/*'], metadata: { filepath: real, parentDir } })
  }
  await context.ask({ permission, patterns: [contains(root, real) ? relative(root, real) : real], always: ['*'], metadata: {} })
  return real
}
