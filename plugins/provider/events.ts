import { defineEvent } from '../../sdk/index.js'
import { Type } from 'typebox'

/** The set of integrations or their connections changed (a credential stored, renamed or removed). */
export const IntegrationUpdated = defineEvent('integration.updated', {})

/** One integration's connections changed. */
export const IntegrationConnectionUpdated = defineEvent('integration.connection.updated', {
  integrationID: Type.String(),
})

/** A credential was stored, renamed or removed (OpenCode 2.1; published without a location). */
export const CredentialUpdated = defineEvent('credential.updated', {})

/** An integration's active credential changed. */
export const CredentialSwitched = defineEvent('credential.switched', {
  integrationID: Type.String(),
  credentialID: Type.String(),
})
