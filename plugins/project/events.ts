import { defineEvent } from '../../sdk/index.js'
import { ProjectProperties } from './schemas.js'

/** A project's name, icon or commands changed; the properties are the project. */
export const ProjectUpdated = defineEvent('project.updated', ProjectProperties)
