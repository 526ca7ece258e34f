import { definePlugin, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { GitSnapshots } from './service.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['paths', 'env', 'config', 'keep'] as const satisfies readonly KernelMember[]
export type SnapshotKernel = PluginKernel<(typeof needs)[number]>

/** Worktree snapshots for the session plugin: what each step changed, diff, revert and unrevert. */
export default definePlugin({
  name: 'snapshot',
  needs,
  register(app, kernel) {
    app.decorate('snapshots', new GitSnapshots(kernel))
  },
})
