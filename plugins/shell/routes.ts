// OpenCode 2.1's `/api/shell*`: shell commands of a location, in `{ location, data }` envelopes.
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { LocationQuery, ref, v2Errors, type PluginApp } from '../../sdk/index.js'
import {
  LocationEnvelope21,
  ShellCreateInput,
  ShellInfo,
  ShellNotFoundErrorBody,
  ShellOutput,
  ShellOutputQuery,
  ShellParams,
} from './schemas.js'
import type { ShellService } from './service.js'

const tags = ['shell']
const config = { v2: true, location: true }
const querystring = Type.Object(LocationQuery)
const notFound = v2Errors({ 404: ref(ShellNotFoundErrorBody) })

/** `{ location: { directory }, data }`: OpenCode 2.1's envelope of location routes. */
function envelope<T>(request: FastifyRequest, data: T): { location: { directory: string }; data: T } {
  return { location: { directory: request.instance.directory }, data }
}

export function registerShellRoutes(app: PluginApp, service: ShellService): void {
  registerListRoutes(app, service)
  registerItemRoutes(app, service)
}

/** The running commands, starting one. */
function registerListRoutes(app: PluginApp, service: ShellService): void {
  app.get(
    '/api/shell',
    {
      config,
      schema: {
        operationId: 'shell.list',
        tags,
        summary: 'List running shell commands',
        description: 'The commands of this location still running, oldest first (ended ones are not listed).',
        querystring,
        response: { 200: LocationEnvelope21(Type.Array(ref(ShellInfo))), ...v2Errors() },
      },
    },
    async (request) => envelope(request, service.list(request.instance)),
  )

  app.post(
    '/api/shell',
    {
      config,
      schema: {
        operationId: 'shell.create',
        tags,
        summary: 'Run shell command',
        description:
          'Starts `command` with the shell (`-c`) in `cwd` (relative to the location, or absolute); stdout and ' +
          'stderr merged into `file`, paged by `shell.output`. `timeout` in ms ends it with status `timeout`. ' +
          'Publishes `shell.created`, then `shell.exited`.',
        querystring,
        body: ShellCreateInput,
        response: { 200: LocationEnvelope21(ref(ShellInfo)), ...v2Errors() },
      },
    },
    async (request) => envelope(request, await service.start(request.instance, request.body)),
  )
}

/** One command: reading it and its output, removing it. */
function registerItemRoutes(app: PluginApp, service: ShellService): void {
  app.get(
    '/api/shell/:id',
    {
      config,
      schema: {
        operationId: 'shell.get',
        tags,
        summary: 'Get shell command',
        description: 'One command, running or ended (with `exit` or `signal`), until it is removed.',
        querystring,
        params: ShellParams,
        response: { 200: LocationEnvelope21(ref(ShellInfo)), ...notFound },
      },
    },
    async (request) => envelope(request, service.get(request.instance, request.params.id)),
  )

  app.delete(
    '/api/shell/:id',
    {
      config,
      schema: {
        operationId: 'shell.remove',
        tags,
        summary: 'Remove shell command',
        description:
          'Kills it if running (`shell.exited` with status `killed`), forgets it and removes its output ' +
          '(`shell.deleted`). 204 for an unknown id too, as OpenCode 2.1.2.',
        querystring,
        params: ShellParams,
        response: { 204: Type.Null(), ...v2Errors() },
      },
    },
    async (request, reply) => {
      service.remove(request.instance, request.params.id)
      return reply.status(204).send(null)
    },
  )

  app.get(
    '/api/shell/:id/output',
    {
      config,
      schema: {
        operationId: 'shell.output',
        tags,
        summary: 'Read shell output',
        description:
          'At most `limit` bytes (default 65536, at most 1 MiB) from byte `cursor` (default 0), ended on a whole ' +
          'UTF-8 character; `cursor` in the answer is where to go on, `size` the bytes captured so far, and ' +
          '`truncated` says the output outgrew the 32 MiB kept per command.',
        querystring: Type.Object({ ...LocationQuery, ...ShellOutputQuery }),
        params: ShellParams,
        response: { 200: LocationEnvelope21(ShellOutput), ...notFound },
      },
    },
    async (request) => {
      const { cursor, limit } = request.query
      return envelope(request, await service.output(request.instance, request.params.id, { cursor, limit }))
    },
  )
}
