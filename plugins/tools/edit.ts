import { Type } from 'typebox'
import { defineTool } from '../../sdk/index.js'
import { applyChanges, readText, summarize, type FileChange } from './edits.js'
import type { ToolEnv } from './env.js'
import { locatePath } from './paths.js'

function count(text: string, search: string): number {
  let n = 0
  for (let at = text.indexOf(search); at >= 0; at = text.indexOf(search, at + search.length)) n++
  return n
}

export const editTool = (env: ToolEnv) =>
  defineTool({
    id: 'edit',
    description:
      'Performs exact string replacements in a file. oldString must match the file exactly (whitespace and indentation included) and only once, ' +
      'unless replaceAll is set. An empty oldString on a file that does not exist creates it with newString. Read the file first.',
    parameters: Type.Object({
      filePath: Type.String({ description: 'The path of the file to modify' }),
      oldString: Type.String({ description: 'The text to replace' }),
      newString: Type.String({ description: 'The text to replace it with (must be different from oldString)' }),
      replaceAll: Type.Optional(Type.Boolean({ description: 'Replace all occurrences of oldString (default false)' })),
    }),
    async execute(args, context) {
      if (args.oldString === args.newString) throw new Error('oldString and newString must be different')
      const target = await locatePath(context, args.filePath)
      const before = await readText(target.path)
      let after: string
      if (before === undefined) {
        if (args.oldString !== '') throw new Error(`File not found: ${target.path}`)
        after = args.newString
      } else if (args.oldString === '') {
        throw new Error(
          'oldString is empty but the file exists: give the text to replace, or use the write tool to replace the whole file',
        )
      } else {
        // CRLF files are matched and written back with their own line endings.
        const crlf = before.includes('\r\n')
        const text = crlf ? before.replace(/\r\n/g, '\n') : before
        const oldString = args.oldString.replace(/\r\n/g, '\n')
        const newString = args.newString.replace(/\r\n/g, '\n')
        const found = count(text, oldString)
        if (found === 0)
          throw new Error(
            'Could not find oldString in the file. It must match exactly, including whitespace and indentation.',
          )
        if (found > 1 && !args.replaceAll) {
          throw new Error(
            `Found ${found} matches for oldString. Provide more surrounding lines to identify the correct match, or set replaceAll to true.`,
          )
        }
        const replaced = args.replaceAll
          ? text.split(oldString).join(newString)
          : text.replace(oldString, () => newString)
        after = crlf ? replaced.replace(/\n/g, '\r\n') : replaced
      }
      const change: FileChange = { target, before, after }
      const { diff, notes } = await applyChanges(env, context, [change])
      return {
        title: target.display,
        output: 'Edit applied successfully.' + (notes ? `\n\n${notes}` : ''),
        metadata: { diff, filediff: await summarize(change) },
      }
    },
  })
