/**
 * What outsiders import from `opencode-kernel`: the plugin-authoring API (plugins, events,
 * schemas, errors, extension points) and the types a plugin meets.
 *
 * @packageDocumentation
 */
export { definePlugin } from '../kernel/core/plugin-definition.js'
export { defineExtensionPoint } from '../kernel/core/extensions.js'
export type { PluginDefinition } from '../kernel/core/plugin-definition.js'
export type { Kernel, KernelPaths } from '../kernel/core/kernel-api.js'
export type { ExtensionPoint, ExtensionRegistry } from '../kernel/core/extensions.js'
export { defineEvent } from '../kernel/events/bus.js'
export type { EventDefinition, EventProperties, EventPayload, BusEvent, EventBus } from '../kernel/events/bus.js'
export { named, ref, registerSchemas, StringEnum, InstanceQuery, optionalBody } from '../kernel/http/schemas.js'
export type { NamedSchema } from '../kernel/http/schemas.js'
export {
  NamedError,
  BadRequestError,
  NotFoundError,
  ConflictError,
  ForbiddenError,
  UnauthorizedError,
} from '../kernel/core/errors.js'
export type { Instance, ProjectRef } from '../kernel/instances/instance.js'
export type { Migration, SqliteDatabase } from '../kernel/storage/sqlite-storage.js'
export { defineTool, ToolArgumentsError } from '../kernel/core/tools.js'
export type {
  ToolDefinition,
  ToolContext,
  ToolResult,
  ToolAttachment,
  PermissionAsk,
  ToolSource,
} from '../kernel/core/tools.js'
export { ProviderOAuth, ProviderPackages } from './provider.js'
export { wildcardMatch, evaluatePermission } from './permission.js'
export type { PermissionRuleLike } from './permission.js'
export { FileEditHook } from './tools.js'
export { WorkspaceDirectory } from '../kernel/instances/workspace.js'
export type { WorkspaceLookup } from '../kernel/instances/workspace.js'
export type { FileEditHookFn, FileEditedInput } from './tools.js'
export type {
  ProviderOAuthMethod,
  OAuthAuthorization,
  OAuthCredentials,
  ProviderPackage,
  ProviderPackageInput,
} from './provider.js'
export { findExecutable } from './executable.js'
export { listFiles, searchText, globMatcher } from './search.js'
export { contains, realish, realPathInside } from './paths.js'
export type { SearchRoot, TextMatch } from './search.js'
export type { SearchScope } from './executable.js'
export { ascendingId, descendingId } from '../kernel/core/ids.js'
export { createServer } from '../kernel/http/server.js'
export type { ServerOptions, RunningServer } from '../kernel/http/server.js'

// What built-in plugins need beyond the above; third-party plugins may use it too.

/** The Fastify instance a plugin registers on, typed by the TypeBox type provider. */
export type { PluginApp } from '../kernel/core/plugin-definition.js'
/** Events every plugin defined, for the documentation of the SSE streams. */
export { definedEvents } from '../kernel/events/bus.js'
/** The shared error bodies routes document their 4xx answers with. */
export { ErrorBody, BadRequestErrorBody, NotFoundErrorBody } from '../kernel/http/schemas.js'
export { isNamedError } from '../kernel/core/errors.js'
export type { ErrorData, RequestPart } from '../kernel/core/errors.js'
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
/** A directory a client names, checked as the kernel checks `?directory=`. */
export { checkDirectory } from '../kernel/instances/directory.js'
/** The package's root folder (source or dist), for plugins that ship files. */
export { PACKAGE_ROOT } from '../kernel/core/version.js'
export { checkToolArguments } from '../kernel/core/tools.js'
/** Server-sent events: a stream with the kernel's framing, bounded queue and heartbeats. */
export { SseClient, startEventStream } from '../kernel/events/sse-client.js'
/** The browser session cookie the kernel's authentication accepts. */
export { SESSION_COOKIE, signSessionCookie } from '../kernel/http/security.js'
/** OpenCode 2's `/api/*` conventions: locations, envelopes, tagged errors and cursors. */
export {
  ConflictErrorBody,
  DataEnvelope,
  ForbiddenErrorBody,
  InvalidRequestError,
  LocationEnvelope,
  LocationInfo,
  LocationQuery,
  LocationRef,
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
  v2Errors,
} from '../kernel/http/v2-conventions.js'
