import { Type } from 'typebox'
import { ConflictErrorBody, DataEnvelope, ref, v2Errors, type PluginApp } from '../../sdk/index.js'
import type { PermissionService } from './service.js'
import { PermissionSavedInfo, PermissionSavedNotFoundErrorBody, savedView } from './v2-schemas.js'

const tags = ['permission']
const config = { v2: true, instance: false }
const SavedParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) })
const Text = Type.String({ maxLength: 10_000 })

/** What `always` replies saved: listed, edited and forgotten (OpenCode 2.1). */
export function registerSavedPermissionRoutes(app: PluginApp, service: PermissionService): void {
  app.get(
    '/api/permission/saved',
    {
      config,
      schema: {
        operationId: 'permission.saved.list',
        tags,
        summary: 'List saved permissions',
        description: 'What `always` replies allowed, per project (`projectID`: one project; absent: all).',
        querystring: Type.Object({ projectID: Type.Optional(Type.String({ maxLength: 4096 })) }),
        response: { 200: DataEnvelope(Type.Array(ref(PermissionSavedInfo))), ...v2Errors() },
      },
    },
    async (request) => ({ data: service.saved(request.query.projectID).map(savedView) }),
  )

  app.patch(
    '/api/permission/saved/:id',
    {
      config,
      schema: {
        operationId: 'permission.saved.update',
        tags,
        summary: 'Update saved permission',
        description:
          'Changes the action or the resource pattern a saved permission allows (absent or null: unchanged); 409 when the project saves that already.',
        params: SavedParams,
        body: Type.Object({
          action: Type.Optional(Type.Union([Text, Type.Null()])),
          resource: Type.Optional(Type.Union([Text, Type.Null()])),
        }),
        response: {
          200: DataEnvelope(ref(PermissionSavedInfo)),
          ...v2Errors({ 404: ref(PermissionSavedNotFoundErrorBody), 409: ref(ConflictErrorBody) }),
        },
      },
    },
    async (request) => {
      const { action, resource } = request.body
      const saved = service.updateSaved(request.params.id, {
        ...(typeof action === 'string' ? { permission: action } : {}),
        ...(typeof resource === 'string' ? { pattern: resource } : {}),
      })
      return { data: savedView(saved) }
    },
  )

  app.delete(
    '/api/permission/saved/:id',
    {
      config,
      schema: {
        operationId: 'permission.saved.remove',
        tags,
        summary: 'Remove saved permission',
        description: 'Later calls ask again. 204 whether or not it existed, as OpenCode.',
        params: SavedParams,
        response: { 204: Type.Null(), ...v2Errors() },
      },
    },
    async (request, reply) => {
      service.removeSaved(request.params.id)
      return reply.status(204).send(null)
    },
  )
}
