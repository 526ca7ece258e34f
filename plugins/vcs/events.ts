import { Type } from 'typebox'
import { defineEvent } from '../../sdk/index.js'

export const VcsBranchUpdated = defineEvent('vcs.branch.updated', { branch: Type.Optional(Type.String()) })
