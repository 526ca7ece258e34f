import { Type, type Static } from 'typebox'
import { named, ref } from '../../sdk/index.js'
import type { SavedPermission } from './saved-store.js'
import type { PermissionRequestInfo } from './store.js'

// OpenCode 2.1's shapes of the permission API (`/api/permission…`, `/api/session/:id/permission…`).

export const PermissionSource = named(
  'Permission.Source',
  Type.Object(
    { type: Type.Literal('tool'), messageID: Type.String(), id: Type.String() },
    { additionalProperties: false },
  ),
)

export const PermissionV2Request = named(
  'Permission.Request',
  Type.Object(
    {
      id: Type.String(),
      sessionID: Type.String(),
      action: Type.String(),
      resources: Type.Array(Type.String()),
      save: Type.Optional(Type.Array(Type.String())),
      metadata: Type.Optional(Type.Object({}, { additionalProperties: true })),
      source: Type.Optional(ref(PermissionSource)),
      message: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
)

export const PermissionSavedInfo = named(
  'PermissionSaved.Info',
  Type.Object(
    {
      id: Type.String(),
      projectID: Type.String(),
      action: Type.String(),
      resource: Type.String(),
      time: Type.Object({ created: Type.Number(), updated: Type.Number() }, { additionalProperties: false }),
    },
    { additionalProperties: false },
  ),
)

export const PermissionNotFoundErrorBody = named(
  'PermissionNotFoundError',
  Type.Object(
    { _tag: Type.Literal('PermissionNotFoundError'), requestID: Type.String(), message: Type.String() },
    { additionalProperties: false },
  ),
)
export const PermissionSavedNotFoundErrorBody = named(
  'PermissionSavedNotFoundError',
  Type.Object(
    { _tag: Type.Literal('PermissionSavedNotFoundError'), id: Type.String(), message: Type.String() },
    { additionalProperties: false },
  ),
)

/**
 * A request as OpenCode 2.1 shows it (`permission` → `action`, `patterns` → `resources`, `always`
 * → `save`, `tool` → `source`); empty `save` and `metadata` are left out, as 2.1 does.
 */
export function permissionV2View(request: PermissionRequestInfo): Static<typeof PermissionV2Request> {
  return {
    id: request.id,
    sessionID: request.sessionID,
    action: request.permission,
    resources: request.patterns,
    ...(request.always.length ? { save: request.always } : {}),
    ...(Object.keys(request.metadata).length ? { metadata: request.metadata } : {}),
    ...(request.tool
      ? { source: { type: 'tool' as const, messageID: request.tool.messageID, id: request.tool.callID } }
      : {}),
  }
}

export function savedView(saved: SavedPermission): Static<typeof PermissionSavedInfo> {
  return {
    id: saved.id,
    projectID: saved.project,
    action: saved.permission,
    resource: saved.pattern,
    time: { created: saved.timeCreated, updated: saved.timeUpdated },
  }
}
