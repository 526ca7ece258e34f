import { defineEvent } from '../../sdk/index.js'
import { Type } from 'typebox'

/** The set of integrations or their connections changed (a credential stored, renamed or removed). */
export const IntegrationUpdated = defineEvent('integration.updated', {})

/** One integration's connections changed. */
export const IntegrationConnectionUpdated = defineEvent('integration.connection.updated', {
  integrationID: Type.String(),
})
