// The project plugin's public contract (`app.projects`). Import with `import type` only.
import { type Instance } from '../../sdk/index.js'
import type { Project, ProjectUpdateInput } from './schemas.js'
import type { ProjectUpdateV21Input, ProjectV21 } from './v21-schemas.js'

export type { Project, ProjectUpdateInput, ProjectUpdateV21Input, ProjectV21 }

export interface ProjectService {
  /** Every project an instance was ever opened in, oldest first. */
  list(): Project[]
  get(id: string): Project | undefined
  /** The project of an instance (recorded when the instance booted). */
  current(instance: Instance): Project
  /** Every project as OpenCode 2.1 shows it, oldest first. */
  listV21(): ProjectV21[]
  /** Applies `input`, publishes `project.updated` on `instance`; NotFoundError for an unknown id. */
  update(instance: Instance, id: string, input: ProjectUpdateInput): Project
  /**
   * OpenCode 2.1's update: `commands` replaced (`{}` clears them), `canonical` (an existing
   * directory, checked by the caller) moves the project's main checkout; `project.updated` on
   * `instance`. Undefined for an unknown id.
   */
  updateV21(instance: Instance, id: string, input: ProjectUpdateV21Input): ProjectV21 | undefined
  /** Records when the instance's project was initialised (`/session/:id/init` ran); publishes `project.updated`. */
  markInitialized(instance: Instance, time?: number): Project | undefined
  /** Lists `directory` among the instance's project's sandboxes; publishes `project.updated` when that changed it. */
  addSandbox(instance: Instance, directory: string): Project
  /**
   * `git init` in the instance's directory (nothing when it is already in a repository), its
   * instances booted again; publishes `project.updated`. BadRequestError when git fails.
   */
  initGit(instance: Instance): Promise<Project>
  /** Drops `directory` from the instance's project's sandboxes; publishes `project.updated` when that changed it. */
  removeSandbox(instance: Instance, directory: string): Project
}

declare module 'fastify' {
  interface FastifyInstance {
    projects: ProjectService
  }
}
