// The config plugin's public contract, for plugins that want config checked against the schema
// (`kernel.config()` only guarantees it parses). Import with `import type` only.
import { type Instance } from '../../sdk/index.js'
import type { Config } from './schemas.js'

export type { Config }

export interface ConfigService {
  /** The merged config of an instance; throws ConfigInvalidError naming `file:line:column` and the problem. */
  get(instance: Instance): Config
  /** The global config files alone, merged and checked. */
  global(): Config
  /**
   * Deep-merges `patch` into the project's config file (comments and formatting kept, other keys
   * untouched), reloads, publishes `config.updated` and answers the new merged config.
   */
  update(instance: Instance, patch: Config): Promise<Config>
  /** The same for the global config file; every instance's cached config is dropped. */
  updateGlobal(patch: Config): Promise<Config>
}

declare module 'fastify' {
  interface FastifyInstance {
    configuration: ConfigService
  }
}
