import { definePlugin } from '../../sdk/index.js'
import { GitSnapshots } from './service.js'

/** Worktree snapshots for the session plugin: what each step changed, diff, revert and unrevert. */
export default definePlugin({
  name: 'snapshot',
  needs: [
    'paths',
    'bus',
    'storage',
    'instances',
    'extensions',
    'tools',
    'processes',
    'env',
    'internalAuthorization',
    'dev',
    'publish',
    'config',
    'loadedConfig',
    'invalidateConfig',
    'onInstanceBoot',
    'reloading',
    'clustered',
    'node',
    'keep',
  ],
  register(app, kernel) {
    app.decorate('snapshots', new GitSnapshots(kernel))
  },
})
