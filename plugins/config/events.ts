import { defineEvent } from '../../sdk/index.js'
import { ConfigProperties } from './schemas.js'

/** A config file was written through the API; the properties are the new config. */
export const ConfigUpdated = defineEvent('config.updated', ConfigProperties)
