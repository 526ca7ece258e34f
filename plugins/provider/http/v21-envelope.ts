import type { FastifyRequest } from 'fastify'
import { Type, type TSchema } from 'typebox'

/**
 * OpenCode 2.1's envelope of location routes: `{ location: { directory }, data }` (1.18's also
 * carried the project; 2.1's `Location.PublicRef` has the directory only, and no more).
 */
export function Located<T extends TSchema>(data: T) {
  return Type.Object(
    { location: Type.Object({ directory: Type.String() }, { additionalProperties: false }), data },
    { additionalProperties: false },
  )
}

export function located<T>(request: FastifyRequest, data: T): { location: { directory: string }; data: T } {
  return { location: { directory: request.instance.directory }, data }
}

/** The route config of 2.1's location routes: tagged errors, the instance from `location[directory]`. */
export const locationRoute = { v2: true, location: true }
