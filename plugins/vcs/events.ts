import { Type } from 'typebox'
import { defineEvent } from '../../kernel/bus.js'

export const VcsBranchUpdated = defineEvent('vcs.branch.updated', { branch: Type.Optional(Type.String()) })
