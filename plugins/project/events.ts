import { Type } from 'typebox'
import { defineEvent } from '../../sdk/index.js'
import { ProjectProperties } from './schemas.js'

/**
 * A project changed; the properties are the project, with OpenCode 2.1's `canonical` and
 * `time.active` besides 1.x's keys (both APIs publish it under this name).
 */
export const ProjectUpdated = defineEvent('project.updated', {
  ...ProjectProperties,
  canonical: Type.Optional(Type.String({ description: 'OpenCode 2.1: the main checkout (`worktree`)' })),
  time: Type.Object({
    created: Type.Integer({ minimum: 0 }),
    updated: Type.Integer({ minimum: 0 }),
    initialized: Type.Optional(Type.Integer({ minimum: 0 })),
    active: Type.Optional(Type.Integer({ minimum: 0, description: 'OpenCode 2.1: when an instance last booted' })),
  }),
})
