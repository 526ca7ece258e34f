import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify'
import type { Kernel } from './kernel-api.js'

/**
 * The Fastify instance a plugin registers on, typed by the TypeBox type provider: a route's
 * `request.params`, `query`, `body` and reply are typed from its schema, no casts needed.
 */
export type PluginApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>

/** A feature area: a Fastify plugin with a name, declared dependencies and a kernel range. */
export interface PluginDefinition {
  /** Unique, kebab-case. */
  name: string
  version?: string
  /** Names of plugins that must be registered before this one. */
  dependencies?: readonly string[]
  /** The kernel versions this plugin works with, as a semver range (e.g. `^0.1`). */
  kernel?: string
  register: (app: PluginApp, kernel: Kernel) => Promise<void> | void
}

/** Declares a plugin. Plugins never import each other's files; they meet through the kernel. */
export function definePlugin(definition: PluginDefinition): PluginDefinition {
  return definition
}

export function isPluginDefinition(value: unknown): value is PluginDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PluginDefinition).name === 'string' &&
    typeof (value as PluginDefinition).register === 'function'
  )
}
