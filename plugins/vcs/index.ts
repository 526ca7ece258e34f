import type { FSWatcher } from 'node:fs'
import { definePlugin, registerSchemas, type Instance, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { VcsBranchUpdated } from './events.js'
import { registerVcsRoutes, type VcsRoutesContext } from './routes.js'
import { registerVcsV21Routes, VCS_V21_SCHEMAS } from './v21-routes.js'
import { VCS_SCHEMAS } from './schemas.js'
import { defaultBranch, type Repository } from './changes.js'
import { currentBranch, gitDirectory, watchBranch } from './service.js'

interface VcsState {
  gitDir: Promise<string | undefined>
  /** Found once per instance, as OpenCode does. */
  defaultBranch?: Promise<string | undefined>
  watcher?: FSWatcher
}

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['env', 'publish', 'onInstanceBoot'] as const satisfies readonly KernelMember[]
export type VcsKernel = PluginKernel<(typeof needs)[number]>

/**
 * Version control: the current branch (`vcs.branch.updated` when HEAD moves), the working tree's
 * changes as counts, per-file patches or one raw patch, and applying a patch.
 */
export default definePlugin({
  name: 'vcs',
  needs,
  register(app, kernel) {
    registerSchemas(app, [...VCS_SCHEMAS, ...VCS_V21_SCHEMAS])

    const state = (instance: Instance) =>
      instance.state<VcsState>(
        'vcs',
        (instance) => {
          const entry: VcsState = {
            gitDir: instance.project.vcs === 'git' ? gitDirectory(instance.worktree) : Promise.resolve(undefined),
          }
          void entry.gitDir.then(async (gitDir) => {
            if (!gitDir || instance.isDisposed) return
            const branch = await currentBranch(gitDir)
            if (instance.isDisposed) return
            entry.watcher = watchBranch(gitDir, branch, (next) =>
              kernel.publish(instance, VcsBranchUpdated, next === undefined ? {} : { branch: next }),
            )
          })
          return entry
        },
        (entry) => entry.watcher?.close(),
      )

    kernel.onInstanceBoot((instance) => void state(instance))

    const repository = async (instance: Instance): Promise<Repository | undefined> => {
      const gitDir = await state(instance).gitDir
      return gitDir ? { worktree: instance.worktree, gitDir, env: kernel.env } : undefined
    }

    const context: VcsRoutesContext = {
      repository,
      async defaultBranch(instance) {
        const entry = state(instance)
        entry.defaultBranch ??= repository(instance).then(async (repo) =>
          repo ? (await defaultBranch(repo))?.name : undefined,
        )
        return entry.defaultBranch
      },
    }
    registerVcsRoutes(app, context)
    registerVcsV21Routes(app, context)
  },
})
