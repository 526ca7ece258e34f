import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify'
import { PluginLoadError } from './errors.js'
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

/** The name of a member of `Kernel`, as a plugin lists it in `needs`. */
export type KernelMember = keyof Kernel

/** What a plugin's `register` receives: the kernel members it needs, plus `version` and `log`. */
export type PluginKernel<N extends KernelMember = KernelMember> = Pick<Kernel, N | 'version' | 'log'>

/** A feature area: a Fastify plugin with a name, declared dependencies and a kernel range. */
export interface PluginDefinition<N extends KernelMember = KernelMember> {
  /** Unique, kebab-case. */
  name: string
  version?: string
  /** Names of plugins that must be registered before this one. */
  dependencies?: readonly string[]
  /** The kernel versions this plugin works with, as a semver range (e.g. `^0.1`). */
  kernel?: string
  /**
   * The kernel members `register` uses (like Backstage's `deps`): it then receives only those,
   * plus `version` and `log`, and a name the kernel does not have fails at boot. Without
   * `needs`, it receives the whole kernel.
   */
  needs?: readonly N[]
  register: (app: PluginApp, kernel: PluginKernel<N>) => Promise<void> | void
}

/**
 * Declares a plugin. Plugins never import each other's files; they meet through the kernel.
 * `needs` is inferred as written, so `register`'s kernel has exactly those members.
 */
export function definePlugin<const N extends KernelMember = KernelMember>(
  definition: PluginDefinition<N>,
): PluginDefinition<N> {
  return definition
}

// Every member of `Kernel` (the compiler checks the list is complete): the names `needs` may use.
const KERNEL_MEMBERS: Record<KernelMember, true> = {
  version: true,
  paths: true,
  bus: true,
  storage: true,
  instances: true,
  extensions: true,
  tools: true,
  processes: true,
  log: true,
  env: true,
  internalAuthorization: true,
  dev: true,
  publish: true,
  config: true,
  loadedConfig: true,
  invalidateConfig: true,
  onInstanceBoot: true,
  reloading: true,
  clustered: true,
  node: true,
  keep: true,
  pluginEntry: true,
  plugins: true,
}
const KNOWN_MEMBERS = new Set<unknown>(Object.keys(KERNEL_MEMBERS))

/** Fails, naming the plugin, when its `needs` is not a list of kernel member names. */
export function checkNeeds(definition: PluginDefinition): void {
  const { needs } = definition
  if (needs === undefined) return
  if (!Array.isArray(needs)) throw new PluginLoadError(definition.name, '`needs` must be a list of kernel member names')
  const unknown = needs.filter((name) => !KNOWN_MEMBERS.has(name))
  if (unknown.length)
    throw new PluginLoadError(
      definition.name,
      `needs ${unknown.map((name) => `"${String(name)}"`).join(', ')}, which the kernel does not have (it has ${[...KNOWN_MEMBERS].join(', ')})`,
    )
}

/**
 * The kernel as a plugin sees it: with `needs`, a view holding only those members (and
 * `version`, `log`), each forwarding to the kernel so live values such as `reloading` stay live;
 * without, the kernel itself. Throws `PluginLoadError` for a member the kernel does not have.
 */
export function kernelFor(kernel: Kernel, definition: PluginDefinition): Kernel {
  checkNeeds(definition)
  if (definition.needs === undefined) return kernel
  const view = {}
  for (const name of new Set<KernelMember>([...definition.needs, 'version', 'log'])) {
    const value = kernel[name]
    Object.defineProperty(
      view,
      name,
      typeof value === 'function'
        ? { value: value.bind(kernel), enumerable: true }
        : { get: () => kernel[name], enumerable: true },
    )
  }
  // Only the members the plugin declared; its `register` is typed to use no others.
  return view as Kernel
}

export function isPluginDefinition(value: unknown): value is PluginDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PluginDefinition).name === 'string' &&
    typeof (value as PluginDefinition).register === 'function'
  )
}
