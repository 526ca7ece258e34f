import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { BadRequestError, NotFoundError } from '../core/errors.js'
import type { ExtensionRegistry } from '../core/extensions.js'
import { checkDirectory, normaliseDirectory, requestedDirectory } from '../instances/directory.js'
import type { Instance, InstanceManager } from '../instances/instance.js'
import { requestedWorkspace, workspaceDirectory } from '../instances/workspace.js'
import type { HookDone, RequestRouting } from './request-routing.js'
import { locationDirectory } from './v2-conventions.js'

type InstanceHook = (request: FastifyRequest, reply: FastifyReply, done: HookDone) => void

export interface InstanceRoutingOptions {
  instances: InstanceManager
  /** Where workspace ids are looked up (`WorkspaceDirectory`). */
  extensions: ExtensionRegistry
  /** Directory used when a request names none. */
  cwd: string
  /** A shared backend's routing: the instance may run on another server. */
  routing?: RequestRouting
}

/** Sets `request.instance` once `pending` resolves, or fails the request with its error. */
function settle(request: FastifyRequest, pending: Promise<Instance>, done: HookDone): void {
  pending.then(
    (instance) => {
      request.instance = instance
      done()
    },
    (error: Error) => done(error),
  )
}

/**
 * Runs every request in the instance of the directory it names: routes that run in an instance
 * get the hook that finds it, decided once per route rather than on every request. Route-level
 * onRequest hooks run after the global ones (security first).
 */
export function addInstanceRouting(app: FastifyInstance, options: InstanceRoutingOptions): void {
  const { instances, extensions, routing } = options
  const cwd = normaliseDirectory(options.cwd)
  const lookupWorkspace = (workspaceID: string) => workspaceDirectory(extensions, workspaceID)
  app.decorateRequest('instance', null as unknown as Instance)

  /** The instance of `directory` (checked by `check` unless it runs): booted here, or routed. */
  const find = (
    request: FastifyRequest,
    reply: FastifyReply,
    directory: string,
    check: () => Promise<string>,
    done: HookDone,
  ) => {
    if (routing)
      return routing.route(request, reply, instances.has(directory) ? Promise.resolve(directory) : check(), done)
    settle(
      request,
      instances.has(directory) ? instances.get(directory) : check().then((checked) => instances.get(checked)),
      done,
    )
  }
  const findWorkspace = (
    request: FastifyRequest,
    reply: FastifyReply,
    id: string,
    from: 'Query' | 'Headers',
    done: HookDone,
  ) => {
    if (!/^wrk_[A-Za-z0-9]+$/.test(id))
      return done(new BadRequestError(`workspace must be a workspace id (wrk_…), got "${id}"`, from))
    const directory = lookupWorkspace(id)
    if (!directory) return done(new NotFoundError(`Workspace not found: ${id}`))
    request.workspaceID = id
    find(request, reply, directory, () => checkDirectory(directory, 'cwd'), done)
  }
  const findInstance: InstanceHook = (request, reply, done) => {
    if (request.method === 'OPTIONS') return done()
    const workspace = requestedWorkspace(request)
    if (workspace) return findWorkspace(request, reply, workspace.id, workspace.from, done)
    const { directory: raw, from } = requestedDirectory(request, cwd)
    const directory = raw === cwd ? cwd : normaliseDirectory(raw)
    // A booted instance is found without a promise or a syscall: the hot path stays synchronous.
    const ready = instances.ready(directory)
    if (ready && (routing === undefined || routing.servesHere(request, directory))) {
      request.instance = ready
      return done()
    }
    find(request, reply, directory, () => checkDirectory(raw, from), done)
  }
  // v2 location routes read `location[directory]` (then the header, then the cwd) instead.
  const findLocation: InstanceHook = (request, reply, done) => {
    if (request.method === 'OPTIONS') return done()
    const directory = locationDirectory(request, cwd, lookupWorkspace)
    if (routing) return routing.route(request, reply, directory, done)
    settle(
      request,
      directory.then((checked) => instances.get(checked)),
      done,
    )
  }

  app.addHook('onRoute', (route) => {
    if (route.config?.instance === false) return
    // A ticket another server issued is redeemed there: this one lets it on to routing.
    if (routing?.ticketCheck && route.config?.ticket)
      route.config = { ...route.config, ticket: routing.ticketCheck(route.config.ticket) }
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    if (methods.every((method) => method === 'OPTIONS')) return
    const own =
      route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest]
    route.onRequest = [(route.config?.location ? findLocation : findInstance) as never, ...own]
  })
}
