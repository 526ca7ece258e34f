// An example community plugin that gives the model a tool. List it in a project's opencode.json
// (`"plugin": ["./path/to/word-count/index.js"]`); the model can then call `word_count`.
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Type } from 'typebox'
import { definePlugin, defineTool, realPathInside } from 'opencode-kernel'

const wordCount = defineTool({
  id: 'word_count',
  description: 'Counts the lines, words and characters of a text file in the project.',
  parameters: Type.Object({ filePath: Type.String({ description: 'The file, relative to the project directory' }) }),
  async execute(args, context) {
    const { instance } = context
    // Tools ask before they act; the session's rules (config `permission`) decide.
    await context.ask({ permission: 'read', patterns: [args.filePath] })
    const path = resolve(instance.directory, args.filePath)
    // Symlinks are followed: a link pointing out of the project does not count as inside.
    if (!realPathInside(path, [instance.worktree, instance.directory]))
      throw new Error(`No such file in the project: ${args.filePath}`)
    const text = await readFile(path, 'utf8')
    const lines = text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
    const words = text.split(/\s+/).filter(Boolean).length
    return {
      title: args.filePath,
      output: `${args.filePath}: ${lines} lines, ${words} words, ${text.length} characters`,
      metadata: { lines, words, characters: text.length },
    }
  },
})

export default definePlugin({
  name: 'example-word-count',
  register(_app, kernel) {
    kernel.tools.register('example-word-count', wordCount)
  },
})
