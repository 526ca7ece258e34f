// Skills: folders holding a SKILL.md with `name` and `description` frontmatter.
import { isAbsolute, join } from 'node:path'
import { type ConfigInvalidError, type ConfigObject } from '../../sdk/index.js'
import { isObject } from './fields.js'
import type { MarkdownFile } from './markdown.js'
import type { SkillInfo } from './types.js'

export interface SkillRootsInput {
  /** The project directories from the worktree root down to the instance directory. */
  projectDirectories: readonly string[]
  directory: string
  /** OpenCode's global config directory. */
  configDirectory: string
  home: string
  config: ConfigObject
  configError: (path: readonly string[], problem: string) => ConfigInvalidError
}

/**
 * Where skills are searched, in OpenCode's order (a later skill of the same name wins):
 * `~/.claude/skills` and `~/.agents/skills`, the same folders in the project, the global config
 * `skill(s)/`, the project's `.opencode/skill(s)/`, then config `skills.paths`.
 */
export function skillRoots(input: SkillRootsInput): string[] {
  const roots: string[] = []
  for (const base of ['.claude', '.agents']) roots.push(join(input.home, base, 'skills'))
  for (const dir of input.projectDirectories)
    for (const base of ['.claude', '.agents']) roots.push(join(dir, base, 'skills'))
  for (const folder of ['skill', 'skills']) roots.push(join(input.configDirectory, folder))
  for (const dir of input.projectDirectories)
    for (const folder of ['skill', 'skills']) roots.push(join(dir, '.opencode', folder))
  const section = input.config.skills
  if (section !== undefined && section !== null) {
    if (!isObject(section)) throw input.configError(['skills'], 'must be an object with "paths" and/or "urls"')
    const paths = section.paths
    if (paths !== undefined) {
      if (!Array.isArray(paths) || !paths.every((path) => typeof path === 'string'))
        throw input.configError(['skills', 'paths'], 'must be a list of directories')
      for (const path of paths as string[]) {
        const expanded = path.startsWith('~/') ? join(input.home, path.slice(2)) : path
        roots.push(isAbsolute(expanded) ? expanded : join(input.directory, expanded))
      }
    }
  }
  // A folder reached twice (home inside the project, a path listed twice) is read once.
  return [...new Set(roots)]
}

/** A SKILL.md that could not be used, and why (reported in the log, the skill is left out). */
export interface SkippedSkill {
  path: string
  reason: string
}

/**
 * The skills of parsed SKILL.md files (in root order). A file without a string `name` and
 * `description` is skipped; OpenCode does not enforce its documented name rules, so neither do we.
 */
export function buildSkills(files: readonly MarkdownFile[]): { skills: SkillInfo[]; skipped: SkippedSkill[] } {
  const skills = new Map<string, SkillInfo>()
  const skipped: SkippedSkill[] = []
  for (const file of files) {
    const { name, description } = file.data
    if (typeof name !== 'string' || name.trim() === '') {
      skipped.push({ path: file.path, reason: 'the frontmatter has no "name"' })
      continue
    }
    if (typeof description !== 'string' || description.trim() === '') {
      skipped.push({ path: file.path, reason: 'the frontmatter has no "description"' })
      continue
    }
    skills.set(name, { name, description, location: file.path, content: file.body })
  }
  return { skills: [...skills.values()], skipped }
}
