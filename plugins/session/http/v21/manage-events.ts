// OpenCode 2.1's events of a session's settings and lineage (`PATCH`, `fork`, `view`): durable (logged
// with a `seq`) and shown on 2.1's `/api/event` only, without their timestamp, as 2.1 sends them.
import { Type } from 'typebox'
import { defineEvent, defineEventView } from '../../../../sdk/index.js'

const common = { timestamp: Type.Number(), sessionID: Type.String() }
const Json = Type.Object({}, { additionalProperties: true })
const Rule = Type.Object({ action: Type.String(), resource: Type.String(), effect: Type.String() })
const Boundary = Type.Object({ type: Type.String(), messageID: Type.String() })

export const MetadataUpdated = defineEvent('session.metadata.updated', { ...common, metadata: Json })
export const PermissionsSet = defineEvent('session.permissions', { ...common, permissions: Type.Array(Rule) })
export const Archived = defineEvent('session.archived', common)
export const Unarchived = defineEvent('session.unarchived', common)
export const Forked = defineEvent('session.forked', {
  ...common,
  parentID: Type.String(),
  boundary: Boundary,
})

export const Viewed = defineEvent('session.viewed', { ...common, idle: Type.Number() })

export const MANAGE_21_EVENTS = [MetadataUpdated, PermissionsSet, Archived, Unarchived, Forked, Viewed].map(
  (event) => event.type,
)

/** Their 2.1 views: kept off the v1 streams, which never had them. */
export function registerManageEventViews(): void {
  for (const type of MANAGE_21_EVENTS)
    defineEventView(
      type,
      (data) => {
        const { timestamp: _timestamp, ...rest } = data
        return { type, data: rest }
      },
      { only: true },
    )
}
