/**
 * What outsiders import from `opencode-kernel`: the plugin-authoring API (plugins, events,
 * schemas, errors, extension points) and the types a plugin meets. Built-in plugins import the
 * kernel through this file only, as third-party plugins do.
 *
 * @packageDocumentation
 */

// ---- Plugins and the kernel they receive ------------------------------------------------------

/** Declares a plugin: `definePlugin({ name, dependencies, needs, register })`. */
export { definePlugin } from '../kernel/core/plugin-definition.js'
/**
 * A plugin's definition; `needs` lists the kernel members its `register` receives
 * (`PluginKernel`), each a `KernelMember` name.
 */
export type { PluginDefinition, PluginKernel, KernelMember } from '../kernel/core/plugin-definition.js'
/** The Fastify instance a plugin registers on, typed by the TypeBox type provider. */
export type { PluginApp } from '../kernel/core/plugin-definition.js'
/** What the kernel gives every plugin, and where it keeps its files. */
export type { Kernel, KernelPaths, KernelPluginInfo, PluginEntry } from '../kernel/core/kernel-api.js'
/** The package's root folder (source or dist), for plugins that ship files. */
export { PACKAGE_ROOT } from '../kernel/core/version.js'
/** Starts a server in-process (tests, embedding). */
export { createServer } from '../kernel/http/server.js'
export type { ServerOptions, RunningServer } from '../kernel/http/server.js'

// ---- Extension points -------------------------------------------------------------------------

/** Typed places where plugins contribute values, and the registry holding the contributions. */
export { defineExtensionPoint } from '../kernel/core/extensions.js'
export type { ExtensionPoint, ExtensionRegistry } from '../kernel/core/extensions.js'
/** The kernel's own extension point: which directory a workspace id stands for. */
export { WorkspaceDirectory } from '../kernel/instances/workspace.js'
export type { WorkspaceLookup } from '../kernel/instances/workspace.js'
/** Provider login methods and the provider packages plugins add. */
export { ProviderOAuth, ProviderPackages } from './provider.js'
export type {
  ProviderOAuthMethod,
  OAuthAuthorization,
  OAuthCredentials,
  ProviderPackage,
  ProviderPackageInput,
} from './provider.js'
/**
 * Plugin RPC (OpenCode 2.1's `POST /api/rpc/{rpcID}/{method}`): `defineRpc({ id, methods })` with
 * TypeBox schemas, served by `provideRpc(kernel, plugin, definition, handlers)` or an `RpcSources`
 * contribution that decides per location; handlers raise `context.error(type, message, data)`.
 */
export { defineRpc, provideRpc, RpcError, RpcInternalError, RpcSources } from './rpc.js'
export type { RpcCallContext, RpcDefinition, RpcHandlers, RpcMethod, RpcRegistration, RpcSource } from './rpc.js'
/** Plugins a plugin host runs (OpenCode plugins), listed by `GET /api/plugin`. */
export { PluginInventory } from './plugin-inventory.js'
export type { PluginInventoryEntry, PluginInventorySource, PluginSourceInfo } from './plugin-inventory.js'
/** Runs after a tool edited a file (formatters, LSP diagnostics). */
export { FileEditHook } from './tools.js'
export type { FileEditHookFn, FileEditedInput } from './tools.js'

// ---- Events -----------------------------------------------------------------------------------

/** Typed events: `defineEvent('session.created', {...})`, published on the bus. */
export { defineEvent } from '../kernel/events/bus.js'
export type { EventDefinition, EventProperties, EventPayload, BusEvent, EventBus } from '../kernel/events/bus.js'
/** Events every plugin defined, for the documentation of the SSE streams. */
export { definedEvents } from '../kernel/events/bus.js'
/** An event's data as `/api/event` shows it, where OpenCode 2.1 gives the same type other data. */
export { defineApiView } from '../kernel/events/bus.js'
export { defineEventView, eventViewOf } from '../kernel/events/event-views.js'
export type { EventView, EventViewRenderer } from '../kernel/events/event-views.js'
/** Server-sent events: a stream with the kernel's framing, bounded queue and heartbeats. */
export { SseClient, startEventStream } from '../kernel/events/sse-client.js'

// ---- Schemas and errors -----------------------------------------------------------------------

/** TypeBox schemas with stable `$id`s, registered once and referenced by `ref()`. */
export { named, ref, registerSchemas, StringEnum, InstanceQuery, optionalBody } from '../kernel/http/schemas.js'
export type { NamedSchema } from '../kernel/http/schemas.js'
/** The shared error bodies routes document their 4xx answers with. */
export { ErrorBody, BadRequestErrorBody, NotFoundErrorBody } from '../kernel/http/schemas.js'
/** Named errors: the one error shape `{ name, data: { message } }` with its status code. */
export {
  NamedError,
  BadRequestError,
  NotFoundError,
  ConflictError,
  ForbiddenError,
  UnauthorizedError,
} from '../kernel/core/errors.js'
export { isNamedError } from '../kernel/core/errors.js'
export type { ErrorData, RequestPart } from '../kernel/core/errors.js'
/** OpenCode 2's `/api/*` conventions: locations, envelopes, tagged errors and cursors. */
export {
  ConflictErrorBody,
  DataEnvelope,
  ForbiddenErrorBody,
  InvalidRequestError,
  LocationEnvelope,
  LocationInfo,
  LocationNotFoundError,
  LocationNotFoundErrorBody,
  LocationPublicRef,
  LocationQuery,
  LocationRef,
  PublicLocationEnvelope,
  ServiceUnavailableError,
  ServiceUnavailableErrorBody,
  TaggedError,
  V2ErrorBody,
  cursorErrors,
  decodeCursor,
  durableVersion,
  encodeCursor,
  isLiveOnlyEvent,
  locationEnvelope,
  locationOf,
  locationWorkspace,
  publicLocationEnvelope,
  requestedLocation,
  v2Errors,
} from '../kernel/http/v2-conventions.js'
/** The browser session cookie the kernel's authentication accepts. */
export { SESSION_COOKIE, signSessionCookie } from '../kernel/http/security.js'

// ---- Instances, config and storage ------------------------------------------------------------

/** The project instance a request runs in, and its project. */
export type { Instance, ProjectRef } from '../kernel/instances/instance.js'
/** A directory a client names, checked as the kernel checks `?directory=`. */
export { checkDirectory } from '../kernel/instances/directory.js'
/** Reading OpenCode's config files the way the kernel does. */
export {
  ConfigInvalidError,
  isPlainObject,
  loadGlobalConfig,
  mergeConfig,
  parseConfigText,
  stringList,
  stringMap,
} from '../kernel/instances/config.js'
export type { ConfigObject, ConfigSource, LoadedConfig } from '../kernel/instances/config.js'
/** A plugin's own tables: migrations on the kernel's SQLite database. */
export type { Migration, SqliteDatabase } from '../kernel/storage/sqlite-storage.js'
/** Sortable ids with a prefix (`ses_…`), ascending or descending in time. */
export { ascendingId, descendingId } from '../kernel/core/ids.js'

// ---- Tools --------------------------------------------------------------------------------------

/** Tools the model can call: `defineTool({ id, parameters, execute })`, registered on `kernel.tools`. */
export { defineTool, ToolArgumentsError, checkToolArguments } from '../kernel/core/tools.js'
export type {
  ToolDefinition,
  ToolContext,
  ToolResult,
  ToolAttachment,
  PermissionAsk,
  ToolSource,
} from '../kernel/core/tools.js'
/** Permission rules as OpenCode evaluates them. */
export { wildcardMatch, evaluatePermission } from './permission.js'
export type { PermissionRuleLike } from './permission.js'
/** Finding executables and files, searching text, and keeping paths inside a project. */
export { findExecutable } from './executable.js'
export type { SearchScope } from './executable.js'
export { listFiles, searchText, globMatcher } from './search.js'
export type { SearchRoot, TextMatch } from './search.js'
export { contains, realish, realPathInside } from './paths.js'
