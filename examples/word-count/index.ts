// An example community plugin that gives the model a tool and clients an RPC. List it in a
// project's opencode.json (`"plugin": ["./path/to/word-count/index.js"]`); the model can then call
// `word_count`, and a client `POST /api/rpc/word-count/count {"input":{"path":"notes.txt"}}`.
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Type } from 'typebox'
import { definePlugin, defineRpc, defineTool, provideRpc, realPathInside, type Instance } from 'opencode-kernel'

/** The counts of a project file, or undefined when the path names none (outside, missing). */
async function countFile(instance: Instance, filePath: string) {
  const path = resolve(instance.directory, filePath)
  // Symlinks are followed: a link pointing out of the project does not count as inside.
  if (!realPathInside(path, [instance.worktree, instance.directory])) return undefined
  const text = await readFile(path, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  const lines = text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0)
  const words = text.split(/\s+/).filter(Boolean).length
  return { lines, words, characters: text.length }
}

const wordCount = defineTool({
  id: 'word_count',
  description: 'Counts the lines, words and characters of a text file in the project.',
  parameters: Type.Object({ filePath: Type.String({ description: 'The file, relative to the project directory' }) }),
  async execute(args, context) {
    // Tools ask before they act; the session's rules (config `permission`) decide.
    await context.ask({ permission: 'read', patterns: [args.filePath] })
    const counts = await countFile(context.instance, args.filePath)
    if (!counts) throw new Error(`No such file in the project: ${args.filePath}`)
    return {
      title: args.filePath,
      output: `${args.filePath}: ${counts.lines} lines, ${counts.words} words, ${counts.characters} characters`,
      metadata: counts,
    }
  },
})

// Schemas check what clients send and what the handler answers; errors are declared with their data.
const WordCountRpc = defineRpc({
  id: 'word-count',
  methods: {
    count: {
      input: Type.Object({ path: Type.String({ minLength: 1, maxLength: 4096 }) }),
      output: Type.Object({ lines: Type.Integer(), words: Type.Integer(), characters: Type.Integer() }),
      errors: { 'word-count.not-found': Type.Object({ path: Type.String() }) },
    },
  },
})

export default definePlugin({
  name: 'example-word-count',
  needs: ['tools', 'extensions'],
  register(_app, kernel) {
    kernel.tools.register('example-word-count', wordCount)
    provideRpc(kernel, 'example-word-count', WordCountRpc, {
      async count(input, context) {
        const counts = await countFile(context.instance, input.path)
        if (!counts) throw context.error('word-count.not-found', `No such file in the project: ${input.path}`, input)
        return counts
      },
    })
  },
})
