// The v1 session routes (`/session…`), registered group by group in the order OpenCode lists them.
import type { SessionKernel } from '../../index.js'
import type { PluginApp } from '../../../../sdk/index.js'
import type { PromptAdmission } from '../../loop/admission.js'
import type { SessionHistory } from '../../store/history.js'
import type { SessionService } from '../../store/service.js'
import { registerInitAndSummarizeRoutes, registerShellAndCommandRoutes } from './command-routes.js'
import type { SessionCommands } from './command.js'
import { registerDiffRoutes, registerUnrevertAndForkRoutes } from './history-routes.js'
import { registerMessageEditRoutes, registerMessageReadRoutes } from './message-routes.js'
import { registerPromptRoutes } from './prompt-routes.js'
import { registerSessionChildrenRoute, registerSessionCrudRoutes, registerSessionListRoutes } from './session-routes.js'
import type { SessionShell } from './shell.js'

/** What the v1 routes work with. */
export interface SessionRouteDeps {
  kernel: SessionKernel
  sessions: SessionService
  admission: PromptAdmission
  history: SessionHistory
  shell: SessionShell
  commands: SessionCommands
}

export function registerSessionRoutes(app: PluginApp, deps: SessionRouteDeps): void {
  registerSessionListRoutes(app, deps)
  registerSessionCrudRoutes(app, deps)
  registerSessionChildrenRoute(app, deps)
  registerMessageReadRoutes(app, deps)
  registerMessageEditRoutes(app, deps)
  registerPromptRoutes(app, deps)
  registerDiffRoutes(app, deps)
  registerUnrevertAndForkRoutes(app, deps)
  registerShellAndCommandRoutes(app, deps)
  registerInitAndSummarizeRoutes(app, deps)
}
