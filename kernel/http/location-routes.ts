import type { FastifyInstance } from 'fastify'
import { isAbsolute } from 'node:path'
import { Type } from 'typebox'
import type { KernelRuntime } from '../core/kernel-runtime.js'
import { LocationShutdown } from '../events/kernel-events.js'
import { checkDirectory, normaliseDirectory } from '../instances/directory.js'
import type { Instance } from '../instances/instance.js'
import { ref } from './schemas.js'
import { InvalidRequestError, LocationPublicRef, requestedLocation, v2Errors } from './v2-conventions.js'

/** Tells clients the location goes away (they re-read its state once it answers again), then disposes it. */
async function shutDown(kernel: KernelRuntime, instance: Instance): Promise<void> {
  kernel.publish(instance, LocationShutdown, {})
  await kernel.instances.dispose(instance.directory)
}

/**
 * Shuts every loaded location down, then boots each again (those whose directory still exists);
 * resolves once every boot settled. What the location held ends as with `/instance/dispose`
 * (terminals, MCP servers, a running turn); the config is read afresh.
 */
async function reloadLocations(kernel: KernelRuntime): Promise<void> {
  const loaded = await kernel.instances.list()
  for (const instance of loaded) await shutDown(kernel, instance)
  await Promise.allSettled(
    loaded.map(async ({ directory }) => kernel.instances.get(await checkDirectory(directory, 'cwd'))),
  )
}

/**
 * OpenCode 2.1's location lifecycle: `POST /api/location/reload`, and the debug view of the
 * loaded locations (`GET|DELETE /api/debug/location`). A location is an instance here.
 */
export function registerLocationRoutes(app: FastifyInstance, kernel: KernelRuntime, cwd: string): void {
  // Concurrent reloads share one run.
  let reloading: Promise<void> | undefined
  app.post(
    '/api/location/reload',
    {
      config: { instance: false, v2: true },
      schema: {
        operationId: 'location.reload',
        tags: ['location'],
        summary: 'Reload configuration',
        description:
          'Shuts down every loaded location (`location.shutdown` each: terminals, MCP servers and running turns there end, as with `/instance/dispose`) and boots it again with its config read afresh; answers once every location is back.',
        response: { 204: Type.Null(), ...v2Errors() },
      },
    },
    async (_request, reply) => {
      reloading ??= reloadLocations(kernel).finally(() => (reloading = undefined))
      await reloading
      return reply.code(204).send(null)
    },
  )

  app.get(
    '/api/debug/location',
    {
      config: { instance: false, v2: true },
      schema: {
        operationId: 'debug.location.list',
        tags: ['debug'],
        summary: 'List loaded locations',
        description: 'The locations (instances) this server has loaded, least recently used first.',
        response: { 200: Type.Array(ref(LocationPublicRef)), ...v2Errors() },
      },
    },
    async () => kernel.instances.directories().map((directory) => ({ directory })),
  )

  app.delete(
    '/api/debug/location',
    {
      config: { instance: false, v2: true },
      schema: {
        operationId: 'debug.location.evict',
        tags: ['debug'],
        summary: 'Evict a loaded location',
        description:
          'Disposes the location `location[directory]` (else `x-opencode-directory`, else the default) names, with `location.shutdown`; its next use boots it fresh. A location that is not loaded (or no directory at all) → 204 as well.',
        querystring: Type.Object({ 'location[directory]': Type.Optional(Type.String()) }),
        response: { 204: Type.Null(), ...v2Errors() },
      },
    },
    async (request, reply) => {
      const directory = requestedLocation(request) ?? cwd
      if (directory.includes('\0'))
        throw new InvalidRequestError('directory must not contain NUL characters', {
          kind: 'Query',
          field: 'location[directory]',
        })
      const normalised = isAbsolute(directory) ? normaliseDirectory(directory) : undefined
      if (normalised !== undefined && kernel.instances.has(normalised))
        await shutDown(kernel, await kernel.instances.get(normalised))
      return reply.code(204).send(null)
    },
  )
}
