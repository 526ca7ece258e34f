import type { ToolsKernel } from './index.js'
import type { FastifyInstance } from 'fastify'
import { join } from 'node:path'
import { type ToolContext } from '../../sdk/index.js'
import { FileEditHook } from '../../sdk/tools.js'
import { FileEdited } from './events.js'

/** What the built-in tools share: the app and kernel, and where long output is kept. */
export interface ToolEnv {
  app: FastifyInstance
  kernel: ToolsKernel
  /** Where truncated output is saved in full; the `read` tool may read it without asking. */
  outputDir: string
  /** Publishes `file.edited` for each file and runs the post-edit hooks; returns their text for the model. */
  edited(context: ToolContext, files: string[]): Promise<string>
}

export function createToolEnv(app: FastifyInstance, kernel: ToolsKernel): ToolEnv {
  return {
    app,
    kernel,
    outputDir: join(kernel.paths.data, 'tool-output'),
    async edited(context, files) {
      const notes: string[] = []
      for (const file of files) {
        kernel.publish(context.instance, FileEdited, { file })
        for (const hook of kernel.extensions.get(FileEditHook)) {
          try {
            const note = await hook({
              instance: context.instance,
              sessionID: context.sessionID,
              file,
              signal: context.abort,
            })
            if (note) notes.push(note)
          } catch (error) {
            kernel.log.warn({ err: error, file }, 'a post-edit hook failed')
          }
        }
      }
      return notes.join('\n')
    },
  }
}
