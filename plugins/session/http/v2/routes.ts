// The v2 session routes (`/api/session…`): views over the one session store and loop, registered
// group by group. Reads, then what drives the loop, then the durable events, then revert staging.
import type { SessionKernel } from '../../index.js'
import type { PluginApp } from '../../../../sdk/index.js'
import type { PromptAdmission } from '../../loop/admission.js'
import type { SessionHistory } from '../../store/history.js'
import type { SessionService } from '../../store/service.js'
import { registerEventStreamRoute, registerHistoryRoute } from './event-routes.js'
import type { SessionInputs } from './inputs.js'
import type { SessionEntries } from '../../store/entries.js'
import {
  registerBackgroundRoute,
  registerInboxRoutes,
  registerSyntheticRoute,
  registerWaitRoute,
} from '../v21/routes.js'
import type { BlockingSubagents } from '../../loop/blocking-subagents.js'
import { registerInputRoutes } from '../v21/input-routes.js'
import { registerMessageListRoute, registerMessageReadRoutes } from './message-routes.js'
import { registerCompactRoute, registerInterruptAndWaitRoutes, registerPromptRoute } from './prompt-routes.js'
import { registerSessionManageRoutes } from '../v21/manage-routes.js'
import { registerSessionRevertRoutes } from './revert-routes.js'
import { RevertStaging } from './revert.js'
import { registerSessionCreateRoute, registerSessionListRoute, registerSessionReadRoutes } from './session-routes.js'
import { registerAgentSwitchRoute, registerModelSwitchRoute } from './switch-routes.js'

/** What the v2 routes work with. */
export interface SessionV2Deps {
  kernel: SessionKernel
  sessions: SessionService
  admission: PromptAdmission
  history: SessionHistory
  inputs: SessionInputs
  /** 2.1's transcript entries (`idle`, switches). */
  entries: SessionEntries
  /** The subagent calls each session's turn waits on (`background` detaches them). */
  subagents: BlockingSubagents
}

export function registerSessionV2Routes(app: PluginApp, deps: SessionV2Deps): void {
  registerSessionListRoute(app, deps)
  registerSessionCreateRoute(app, deps)
  registerSessionReadRoutes(app, deps)
  registerMessageListRoute(app, deps)
  registerMessageReadRoutes(app, deps)
  registerPromptRoute(app, deps)
  registerInterruptAndWaitRoutes(app, deps)
  registerCompactRoute(app, deps)
  registerAgentSwitchRoute(app, deps)
  registerModelSwitchRoute(app, deps)
  registerWaitRoute(app, deps)
  registerInboxRoutes(app, deps)
  registerBackgroundRoute(app, deps)
  registerSyntheticRoute(app, deps)
  registerHistoryRoute(app, deps)
  registerEventStreamRoute(app, deps)
  registerInputRoutes(app, deps)
  registerSessionManageRoutes(app, deps)
  const { kernel, sessions, admission, history } = deps
  registerSessionRevertRoutes(app, new RevertStaging(app, kernel, sessions, admission, history))
}
