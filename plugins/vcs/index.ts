import { Type } from 'typebox'
import type { FSWatcher } from 'node:fs'
import type { Instance } from '../../kernel/instance.js'
import { definePlugin } from '../../kernel/plugin.js'
import { InstanceQuery, ref, registerSchemas } from '../../kernel/schemas.js'
import { VcsBranchUpdated } from './events.js'
import { VcsInfo } from './schemas.js'
import { currentBranch, gitDirectory, watchBranch } from './service.js'

interface VcsState {
  gitDir: Promise<string | undefined>
  watcher?: FSWatcher
}

/** Version control status: the current branch, and `vcs.branch.updated` when HEAD moves. */
export default definePlugin({
  name: 'vcs',
  register(app, kernel) {
    registerSchemas(app, [VcsInfo])

    const state = (instance: Instance) =>
      instance.state<VcsState>(
        'vcs',
        (instance) => {
          const entry: VcsState = { gitDir: instance.project.vcs === 'git' ? gitDirectory(instance.worktree) : Promise.resolve(undefined) }
          void entry.gitDir.then(async (gitDir) => {
            if (!gitDir || instance.isDisposed) return
            const branch = await currentBranch(gitDir)
            if (instance.isDisposed) return
            entry.watcher = watchBranch(gitDir, branch, (next) => kernel.publish(instance, VcsBranchUpdated, next === undefined ? {} : { branch: next }))
          })
          return entry
        },
        (entry) => entry.watcher?.close(),
      )

    kernel.onInstanceBoot((instance) => void state(instance))

    app.get(
      '/vcs',
      {
        schema: {
          operationId: 'vcs.get',
          tags: ['instance'],
          summary: 'Version control status',
          querystring: Type.Object(InstanceQuery),
          response: { 200: ref(VcsInfo) },
        },
      },
      async (request) => {
        const gitDir = await state(request.instance).gitDir
        return { branch: gitDir ? ((await currentBranch(gitDir)) ?? null) : null }
      },
    )
  },
})
