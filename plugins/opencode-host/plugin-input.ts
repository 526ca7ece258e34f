import type { OpencodeHostKernel } from './index.js'
import type { FastifyInstance } from 'fastify'
import type { Instance } from '../../sdk/index.js'
import { createClient } from './client.js'
import { createShell, type ChildSet } from './shell.js'

/** The URL the server listens on (OpenCode's default before it listens). */
export function serverUrl(app: FastifyInstance): URL {
  const address = app.server?.address?.()
  if (address && typeof address === 'object')
    return new URL(`http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`)
  return new URL('http://localhost:4096')
}

/** OpenCode's `PluginInput` for one instance: SDK client, project, directories, `$` ... */
export async function pluginInput(
  app: FastifyInstance,
  kernel: OpencodeHostKernel,
  instance: Instance,
  children: ChildSet,
): Promise<Record<string, unknown>> {
  const authorization = kernel.internalAuthorization
  const client = await createClient(
    () => app,
    instance.directory,
    () => serverUrl(app),
    (): Record<string, string> => (authorization ? { authorization } : {}),
  )
  const $ = createShell({ cwd: instance.directory, env: { ...kernel.env }, throws: true }, children)
  return {
    client,
    project: {
      id: instance.project.id,
      worktree: instance.project.worktree,
      vcs: instance.project.vcs,
      time: { created: Date.now() },
      sandboxes: [],
    },
    directory: instance.directory,
    worktree: instance.worktree,
    get serverUrl() {
      return serverUrl(app)
    },
    $,
    experimental_workspace: {
      register: (type: string) =>
        kernel.log.warn(
          { type, directory: instance.directory },
          'experimental_workspace.register: this server has no workspace adapters; ignored',
        ),
    },
  }
}
