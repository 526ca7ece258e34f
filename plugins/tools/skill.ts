import { dirname } from 'node:path'
import { Type } from 'typebox'
import { defineTool, type Instance } from '../../sdk/index.js'
import type { ToolEnv } from './env.js'

/**
 * The `skill` tool: loads a skill's instructions into the conversation. Its description lists
 * the instance's skills, so it is offered per instance (and not at all when there are none).
 */
export async function skillTool(env: ToolEnv, instance: Instance) {
  const skills = await env.app.skills.list(instance)
  if (!skills.length) return undefined
  const list = skills
    .map(
      (skill) =>
        `  <skill>\n    <name>${skill.name}</name>\n    <description>${skill.description}</description>\n  </skill>`,
    )
    .join('\n')
  return defineTool({
    id: 'skill',
    description:
      'Load a skill: specialized instructions and resources for a task. Call it when a task matches one of the skills below; ' +
      'its content then guides the work.\n<available_skills>\n' +
      list +
      '\n</available_skills>',
    parameters: Type.Object({ name: Type.String({ description: 'The name of the skill from available_skills' }) }),
    async execute(args, context) {
      const skill = await env.app.skills.get(context.instance, args.name)
      if (!skill) {
        const names = (await env.app.skills.list(context.instance)).map((s) => s.name)
        throw new Error(`Skill "${args.name}" not found. Available skills: ${names.join(', ') || 'none'}`)
      }
      await context.ask({ permission: 'skill', patterns: [skill.name], always: [skill.name], metadata: {} })
      const base = dirname(skill.location)
      return {
        title: `Loaded skill: ${skill.name}`,
        output: `<skill_content name="${skill.name}">\n# Skill: ${skill.name}\n\n${skill.content.trim()}\n\nBase directory for this skill: ${base}\nRelative paths in this skill are relative to this base directory.\n</skill_content>`,
        metadata: { name: skill.name, dir: base },
      }
    },
  })
}
