import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { type Instance } from '../../../../sdk/index.js'

/** Used when an agent has no prompt of its own. */
export const BASE_PROMPT = `You are a coding agent running in the user's project. Use the tools available to read and change files and run commands; keep answers short and concrete, and say what you changed.`

const INSTRUCTION_FILES = ['AGENTS.md', 'CLAUDE.md']
const MAX_INSTRUCTION_BYTES = 256 * 1024

function readText(path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return undefined
    return readFileSync(path, 'utf8').slice(0, MAX_INSTRUCTION_BYTES)
  } catch {
    return undefined
  }
}

/**
 * Project instructions as OpenCode finds them: the nearest `AGENTS.md` (else `CLAUDE.md`) from
 * the directory up to the worktree, the global `AGENTS.md`, and config `instructions` (paths or
 * simple globs relative to the worktree; URLs are not fetched: offline by design).
 */
export function instructionFiles(instance: Instance, configDir: string, configured: unknown): string[] {
  const found: string[] = []
  for (const name of INSTRUCTION_FILES) {
    let dir = instance.directory
    for (;;) {
      const candidate = join(dir, name)
      if (existsSync(candidate)) {
        found.push(candidate)
        break
      }
      if (dir === instance.worktree || dirname(dir) === dir) break
      dir = dirname(dir)
    }
    if (found.length) break
  }
  const global = join(configDir, 'AGENTS.md')
  if (existsSync(global)) found.push(global)
  if (Array.isArray(configured)) {
    for (const entry of configured) {
      if (typeof entry !== 'string' || /^https?:\/\//.test(entry)) continue
      const path = isAbsolute(entry) ? entry : resolve(instance.worktree, entry)
      if (!found.includes(path) && existsSync(path)) found.push(path)
    }
  }
  return found
}

export interface SystemPromptInput {
  instance: Instance
  agentPrompt?: string
  instructionPaths: string[]
  userSystem?: string
  modelID: string
  providerID: string
}

/** The system messages of a step: agent prompt, environment facts, instructions, the caller's own. */
export function systemPrompt(input: SystemPromptInput): string[] {
  const { instance } = input
  const out = [input.agentPrompt?.trim() || BASE_PROMPT]
  out.push(
    [
      `You are powered by the model ${input.modelID} (provider ${input.providerID}).`,
      '<env>',
      `  Working directory: ${instance.directory}`,
      `  Project root: ${instance.worktree}`,
      `  Is directory a git repo: ${instance.project.vcs === 'git' ? 'yes' : 'no'}`,
      `  Platform: ${process.platform}`,
      `  Today's date: ${new Date().toDateString()}`,
      '</env>',
    ].join('\n'),
  )
  for (const path of input.instructionPaths) {
    const text = readText(path)
    if (text?.trim()) out.push(`Instructions from: ${path}\n${text}`)
  }
  if (input.userSystem?.trim()) out.push(input.userSystem)
  return out
}
