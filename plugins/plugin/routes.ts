import { Type } from 'typebox'
import {
  InvalidRequestError,
  LocationQuery,
  PublicLocationEnvelope,
  publicLocationEnvelope,
  ref,
  v2Errors,
  type PluginApp,
} from '../../sdk/index.js'
import type { PluginInventoryEntry } from '../../sdk/plugin-inventory.js'
import { RpcInternalError } from '../../sdk/rpc.js'
import {
  installedVersion,
  inventory,
  packageName,
  packagesNamed,
  publicEntry,
  type InventoryKernel,
  type PackageEntry,
} from './inventory.js'
import type { RpcService } from './rpc-service.js'
import { PluginInfo, RpcErrorBody, RpcInternalErrorBody } from './schemas.js'

const config = { v2: true, location: true }
const PluginList = PublicLocationEnvelope(Type.Array(ref(PluginInfo)))

function isPackage(entry: PluginInventoryEntry): entry is PackageEntry {
  return entry.source.type === 'package'
}

/** A package entry with the version installed now (read afresh from its `package.json`). */
function checked(entry: PackageEntry): PluginInventoryEntry {
  const version = installedVersion(entry.entry, packageName(entry.source.target)) ?? entry.source.version
  return { ...entry, source: { ...entry.source, ...(version ? { version } : {}) } }
}

/** Where a package plugin is installed: the folder holding its `node_modules`. */
function installDir(entry: PackageEntry): string | undefined {
  const at = entry.entry?.lastIndexOf('/node_modules/') ?? -1
  return at > 0 ? entry.entry!.slice(0, at) : undefined
}

/** `plugin.check`: every plugin (no target), or the package plugins `target` names, with their installed version now. */
function checkPlugins(entries: readonly PluginInventoryEntry[], target: string | null | undefined) {
  if (target === undefined || target === null)
    return entries.map((entry) => publicEntry(isPackage(entry) ? checked(entry) : entry))
  const named = packagesNamed(entries, target)
  if (named.length === 0)
    throw new InvalidRequestError(`Plugin package is not in the current server inventory: ${target}`, {
      field: 'target',
    })
  return named.map((entry) => publicEntry(checked(entry)))
}

/** `plugin.update` of package plugins: this server installs nothing, so it says which `npm` command does. */
function refusedUpdate(entries: readonly PluginInventoryEntry[], targets: readonly string[]): InvalidRequestError {
  const unknown = targets.filter((target) => packagesNamed(entries, target).length === 0)
  if (unknown.length)
    return new InvalidRequestError(`Plugin packages are not in the current server inventory: ${unknown.join(', ')}`, {
      field: 'targets',
    })
  const found = targets.flatMap((target) => packagesNamed(entries, target))
  const names = [...new Set(found.map((entry) => packageName(entry.source.target)))]
  const dirs = [...new Set(found.map(installDir).filter((dir) => dir !== undefined))]
  return new InvalidRequestError(
    `This server does not install plugins: run \`npm update ${names.join(' ')}\`${dirs.length ? ` in ${dirs.join(', ')}` : ''}, then restart the server`,
    { field: 'targets' },
  )
}

/** `GET /api/plugin`, `POST /api/plugin/check`, `POST /api/plugin/update` (OpenCode 2.1). */
export function registerPluginRoutes(app: PluginApp, kernel: InventoryKernel): void {
  app.get(
    '/api/plugin',
    {
      config,
      schema: {
        operationId: 'plugin.list',
        tags: ['plugin'],
        summary: 'List plugins',
        description:
          "The location's plugins and whether each runs: the server's built-in plugins, third-party kernel plugins (config `plugin`), then the OpenCode plugins of the location.",
        querystring: Type.Object(LocationQuery),
        response: { 200: PluginList, ...v2Errors() },
      },
    },
    async (request) => publicLocationEnvelope(request, (await inventory(kernel, request.instance)).map(publicEntry)),
  )

  app.post(
    '/api/plugin/check',
    {
      config,
      schema: {
        operationId: 'plugin.check',
        tags: ['plugin'],
        summary: 'Check plugin updates',
        description:
          'Reads again the installed version of one package plugin (`target`), or of all; the registry is not asked, so `outdated` is never set. Without `target`, every plugin is listed. A target that is no package plugin of the location: 400.',
        querystring: Type.Object(LocationQuery),
        body: Type.Object({
          target: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 256 }), Type.Null()])),
        }),
        response: { 200: PluginList, ...v2Errors() },
      },
    },
    async (request) =>
      publicLocationEnvelope(request, checkPlugins(await inventory(kernel, request.instance), request.body.target)),
  )

  app.post(
    '/api/plugin/update',
    {
      config,
      schema: {
        operationId: 'plugin.update',
        tags: ['plugin'],
        summary: 'Update plugins',
        description:
          'This server installs no packages: `targets: []` answers 204; package plugins of the location answer 400 saying which `npm` command updates them (then restart the server); anything else: 400, not in the inventory.',
        querystring: Type.Object(LocationQuery),
        body: Type.Object({
          targets: Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 100 }),
        }),
        response: { 204: Type.Null(), ...v2Errors() },
      },
    },
    async (request, reply) => {
      const { targets } = request.body
      if (targets.length === 0) return reply.code(204).send(null)
      throw refusedUpdate(await inventory(kernel, request.instance), targets)
    },
  )
}

/** `POST /api/rpc/{rpcID}/{method}` (OpenCode 2.1's `rpc.call`): a method of an RPC a plugin serves at the location. */
export function registerRpcRoute(app: PluginApp, rpc: RpcService): void {
  app.post(
    '/api/rpc/:rpcID/:method',
    {
      config,
      schema: {
        operationId: 'rpc.call',
        tags: ['rpc'],
        summary: 'Call a plugin RPC',
        description:
          'Runs `method` of the RPC `rpcID` that a plugin serves at the location with `input`, answering `{output}`. 400 `RpcError` with `type` `rpc.unavailable` (no such RPC here), `rpc.method_not_found`, `rpc.invalid_input`, or a type the handler raised; 500 `RpcInternalError` (`rpc.internal`, `rpc.invalid_output`) when the handler fails.',
        params: Type.Object({
          rpcID: Type.String({ minLength: 1, maxLength: 256 }),
          method: Type.String({ minLength: 1, maxLength: 256 }),
        }),
        querystring: Type.Object(LocationQuery),
        body: Type.Object({ input: Type.Optional(Type.Unknown()) }),
        response: {
          200: Type.Object({ output: Type.Optional(Type.Unknown()) }, { additionalProperties: false }),
          ...v2Errors({ 400: Type.Union([ref(RpcErrorBody), v2Errors()[400]!]) }),
          500: ref(RpcInternalErrorBody),
        },
      },
    },
    async (request, reply) => {
      const { rpcID, method } = request.params
      const controller = new AbortController()
      // The response closing before it was sent: the client went away.
      const abort = () => {
        if (!reply.raw.writableEnded) controller.abort()
      }
      reply.raw.once('close', abort)
      try {
        const output = await rpc.call(request.instance, rpcID, method, request.body.input, controller.signal)
        return output === undefined ? {} : { output }
      } catch (error) {
        // 500s go out tagged here: the kernel answers its own 500s in the v1 shape.
        if (error instanceof RpcInternalError)
          return reply.code(500).send({ _tag: 'RpcInternalError', type: error.type, message: error.message })
        throw error
      } finally {
        reply.raw.off('close', abort)
      }
    },
  )
}
