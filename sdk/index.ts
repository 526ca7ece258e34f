/**
 * What outsiders import from `opencode-kernel`: the plugin-authoring API (plugins, events,
 * schemas, errors, extension points) and the types a plugin meets.
 *
 * @packageDocumentation
 */
export { definePlugin, defineExtensionPoint } from '../kernel/plugin.js'
export type { PluginDefinition, Kernel, KernelPaths, ExtensionPoint, ExtensionRegistry } from '../kernel/plugin.js'
export { defineEvent } from '../kernel/bus.js'
export type { EventDefinition, EventProperties, EventPayload, BusEvent, EventBus } from '../kernel/bus.js'
export { named, ref, registerSchemas, StringEnum, InstanceQuery, optionalBody } from '../kernel/schemas.js'
export type { NamedSchema } from '../kernel/schemas.js'
export {
  NamedError,
  BadRequestError,
  NotFoundError,
  ConflictError,
  ForbiddenError,
  UnauthorizedError,
} from '../kernel/errors.js'
export type { Instance, ProjectRef } from '../kernel/instance.js'
export type { Migration, SqliteDatabase } from '../kernel/storage.js'
export { defineTool, ToolArgumentsError } from '../kernel/tool.js'
export type {
  ToolDefinition,
  ToolContext,
  ToolResult,
  ToolAttachment,
  PermissionAsk,
  ToolSource,
} from '../kernel/tool.js'
export { ProviderOAuth, ProviderPackages } from './provider.js'
export { wildcardMatch, evaluatePermission } from './permission.js'
export type { PermissionRuleLike } from './permission.js'
export { FileEditHook } from './tools.js'
export { WorkspaceDirectory } from '../kernel/workspace.js'
export type { WorkspaceLookup } from '../kernel/workspace.js'
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
export { ascendingId, descendingId } from '../kernel/ids.js'
export { createServer } from '../kernel/server.js'
export type { ServerOptions, RunningServer } from '../kernel/server.js'
