import { Type } from 'typebox'
import { InstanceQuery, ref, type PluginApp } from '../../sdk/index.js'
import {
  normalizeReply,
  PermissionReplyInput,
  PermissionRequest,
  PermissionRespondInput,
  RequestParams,
  SessionPermissionParams,
} from './schemas.js'
import type { PermissionService } from './service.js'

const tags = ['permission']
const querystring = Type.Object(InstanceQuery)

export function registerPermissionRoutes(app: PluginApp, service: PermissionService): void {
  app.get(
    '/permission',
    {
      schema: {
        operationId: 'permission.list',
        tags,
        summary: 'List pending permission requests',
        description: 'Requests of this directory waiting for a reply, oldest first; they outlive a server restart.',
        querystring,
        response: { 200: Type.Array(ref(PermissionRequest)) },
      },
    },
    async (request) => service.list(request.instance),
  )

  app.post(
    '/permission/:requestID/reply',
    {
      schema: {
        operationId: 'permission.reply',
        tags,
        summary: 'Reply to a permission request',
        description:
          '`once` runs the call, `always` also allows its `always` patterns for the project, `reject` fails it (with `message`, the model sees the feedback and goes on).',
        params: RequestParams,
        querystring,
        body: PermissionReplyInput,
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => {
      const { requestID } = request.params
      const body = request.body
      service.reply(request.instance, requestID, normalizeReply(body.reply), body.message)
      return true
    },
  )

  app.post(
    '/session/:sessionID/permissions/:permissionID',
    {
      schema: {
        operationId: 'permission.respond',
        tags,
        summary: 'Respond to a permission request of a session',
        description: 'The older form of POST /permission/:requestID/reply.',
        deprecated: true,
        params: SessionPermissionParams,
        querystring,
        body: PermissionRespondInput,
        response: { 200: Type.Boolean() },
      },
    },
    async (request) => {
      const { sessionID, permissionID } = request.params
      const body = request.body
      service.reply(request.instance, permissionID, normalizeReply(body.response), undefined, sessionID)
      return true
    },
  )
}
