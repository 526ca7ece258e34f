import { Type } from 'typebox'
import { defineTool } from '../../sdk/index.js'
import { applyChanges, readText, summarize, type FileChange } from './edits.js'
import type { ToolEnv } from './env.js'
import { locatePath } from './paths.js'

export const writeTool = (env: ToolEnv) =>
  defineTool({
    id: 'write',
    description:
      'Writes a file, creating it (and its directories) or replacing its content. filePath may be absolute or relative to the working directory. ' +
      'Read an existing file before overwriting it; prefer the edit tool for changes to existing files.',
    parameters: Type.Object({
      content: Type.String({ description: 'The content to write to the file' }),
      filePath: Type.String({
        description: 'The path of the file to write (absolute, or relative to the working directory)',
      }),
    }),
    async execute(args, context) {
      const target = await locatePath(context, args.filePath)
      const before = await readText(target.path)
      const change: FileChange = { target, before, after: args.content }
      const { diff, notes } = await applyChanges(env, context, [change])
      const output =
        (before === undefined ? 'Wrote file successfully.' : 'Wrote file successfully (replaced its content).') +
        (notes ? `\n\n${notes}` : '')
      return {
        title: target.display,
        output,
        metadata: { filepath: target.path, exists: before !== undefined, diff, filediff: await summarize(change) },
      }
    },
  })
