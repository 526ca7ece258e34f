import type { FastifyRequest } from 'fastify'
import { defineExtensionPoint, type ExtensionRegistry } from '../core/extensions.js'

/** The directory of a workspace (`wrk_…`), or undefined when the plugin does not know the id. */
export type WorkspaceLookup = (workspaceID: string) => string | undefined

/**
 * Where workspace ids become directories: a plugin that keeps workspaces provides a lookup, and
 * instance routing (`?workspace=`, `x-opencode-workspace`) and v2 `location[workspace]` use it.
 */
export const WorkspaceDirectory = defineExtensionPoint<WorkspaceLookup>('kernel.workspace-directory')

/** The directory a workspace id stands for, asking each provider in turn. */
export function workspaceDirectory(extensions: ExtensionRegistry, workspaceID: string): string | undefined {
  for (const lookup of extensions.get(WorkspaceDirectory)) {
    const directory = lookup(workspaceID)
    if (directory) return directory
  }
  return undefined
}

/** The workspace a request names: `?workspace=`, else the `x-opencode-workspace` header. */
export function requestedWorkspace(request: FastifyRequest): { id: string; from: 'Query' | 'Headers' } | undefined {
  const query = (request.query as Record<string, unknown> | undefined)?.workspace
  if (typeof query === 'string' && query !== '') return { id: query, from: 'Query' }
  const header = request.headers['x-opencode-workspace']
  if (typeof header === 'string' && header !== '') return { id: header, from: 'Headers' }
  return undefined
}
