import { dirname, isAbsolute, relative, resolve } from 'node:path'
import { type ToolContext } from '../../sdk/index.js'
import { contains, realish } from '../../sdk/paths.js'

export { contains }

export interface LocatedPath {
  /** Absolute, symlinks followed. */
  path: string
  /** Relative to the worktree when inside the project, else the absolute path (for permission patterns and titles). */
  display: string
}

/**
 * Resolves a path a model gave against the instance directory (symlinks followed) and, when it
 * lies outside the project and the `trusted` directories, asks `external_directory` for it
 * (`kind: 'directory'` asks for the directory itself rather than its parent).
 */
export async function locatePath(
  context: ToolContext,
  given: string,
  options: { trusted?: readonly string[]; kind?: 'file' | 'directory' } = {},
): Promise<LocatedPath> {
  const { instance } = context
  const path = isAbsolute(given) ? resolve(given) : resolve(instance.directory, given)
  const real = await realish(path)
  const root = await realish(instance.worktree)
  const inside = contains(root, real) || contains(await realish(instance.directory), real)
  let trusted = false
  for (const dir of options.trusted ?? []) if (contains(await realish(dir), real)) trusted = true
  if (!inside && !trusted) {
    const parentDir = options.kind === 'directory' ? real : dirname(real)
    await context.ask({
      permission: 'external_directory',
      patterns: [parentDir + '/*'],
      always: [parentDir + '/*'],
      metadata: { filepath: real, parentDir },
    })
  }
  return { path: real, display: contains(root, real) ? relative(root, real) || '.' : real }
}

/**
 * Resolves a path a model gave and asks the permissions it needs: `external_directory` when it
 * lies outside the project and the `trusted` directories, then `permission` for the path.
 */
export async function resolveProjectPath(
  context: ToolContext,
  given: string,
  permission: string,
  trusted: readonly string[] = [],
): Promise<string> {
  const located = await locatePath(context, given, { trusted })
  await context.ask({ permission, patterns: [located.display], always: ['*'], metadata: {} })
  return located.path
}
