// An example community plugin that gives the model a tool. List it in a project's opencode.json
// (`"plugin": ["./path/to/word-count/index.js"]`); the model can then call `word_count`.
import { readFile, realpath } from 'node:fs/promises'
import { isAbsolute, relative, resolve } from 'node:path'
import { Type } from 'typebox'
import { definePlugin, defineTool } from 'opencode-kernel'

const wordCount = defineTool({
  id: 'word_count',
  description: 'Counts the lines, words and characters of a text file in the project.',
  parameters: Type.Object({ filePath: Type.String({ description: 'The file, relative to the project directory' }) }),
  async execute(args, context) {
    const { instance } = context
    // Tools ask before they act; the session's rules (config `permission`) decide.
    await context.ask({ permission: 'read', patterns: [args.filePath] })
    const path = await realpath(resolve(instance.directory, args.filePath)).catch(() => undefined)
    const inside = path !== undefined && [instance.worktree, instance.directory].some((root) => {
      const rel = relative(root, path)
      return !rel.startsWith('..') && !isAbsolute(rel)
    })
    if (!path || !inside) throw new Error(`No such file in the project: ${args.filePath}`)
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
