import { definePlugin } from '../../sdk/index.js'
import { GitSnapshots } from './service.js'

/** Worktree snapshots for the session plugin: what each step changed, diff, revert and unrevert. */
export default definePlugin({
  name: 'snapshot',
  register(app, kernel) {
    app.decorate('snapshots', new GitSnapshots(kernel))
  },
})
