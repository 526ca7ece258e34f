import { Type } from 'typebox'
import { named } from '../../kernel/schemas.js'

export const VcsInfo = named(
  'VcsInfo',
  Type.Object({
    /** The checked-out branch; `null` outside a git repository, `HEAD` when detached. */
    branch: Type.Union([Type.String(), Type.Null()]),
  }),
)
