import { Type } from 'typebox'
import { defineTool, type Instance } from '../../sdk/index.js'
import type { AgentInfo } from '../agent/types.js'
import type { ToolEnv } from './env.js'

// A subagent neither edits its parent's todo list nor starts subagents of its own.
const CHILD_RULES = [
  { permission: 'todowrite', pattern: '*', action: 'deny' as const },
  { permission: 'todoread', pattern: '*', action: 'deny' as const },
  { permission: 'task', pattern: '*', action: 'deny' as const },
]

const BACKGROUND = Symbol('background')

function subagents(agents: AgentInfo[]): AgentInfo[] {
  return agents.filter((agent) => agent.mode !== 'primary' && !agent.hidden)
}

/**
 * The `task` tool: runs a subagent in a child session and returns its final text. Its
 * description lists the instance's subagents, so it is offered per instance.
 */
export async function taskTool(env: ToolEnv, instance: Instance) {
  const available = subagents(await env.app.agents.list(instance))
  const list = available.map((agent) => `- ${agent.name}: ${agent.description ?? 'no description'}`).join('\n')
  return defineTool({
    id: 'task',
    description:
      'Launch a subagent to handle a complex, multi-step task on its own, in a child session. It returns the final answer of the subagent, ' +
      'plus a task_id: pass it again as task_id to continue the same subagent session.\n\nAvailable agent types:\n' +
      list,
    parameters: Type.Object({
      description: Type.String({ description: 'A short (3-5 words) description of the task' }),
      prompt: Type.String({ description: 'The task for the agent to perform' }),
      subagent_type: Type.String({ description: 'The type of specialized agent to use for this task' }),
      task_id: Type.Optional(Type.String({ description: 'Continue an earlier task: the task_id it returned' })),
      command: Type.Optional(Type.String({ description: 'The command that triggered this task' })),
    }),
    async execute(args, context) {
      const { app } = env
      const agent = await app.agents.get(context.instance, args.subagent_type)
      if (!agent || agent.mode === 'primary') {
        const names = subagents(await app.agents.list(context.instance)).map((a) => a.name)
        throw new Error(
          `Unknown agent type: ${args.subagent_type} is not a valid agent type. Available: ${names.join(', ')}`,
        )
      }
      await context.ask({
        permission: 'task',
        patterns: [agent.name],
        always: ['*'],
        metadata: { description: args.description, subagent_type: agent.name },
      })

      let childID: string | undefined
      if (args.task_id) {
        try {
          const existing = app.sessions.get(context.instance, args.task_id)
          if (existing.parentID === context.sessionID) childID = existing.id
        } catch {
          // an unknown task_id starts a new task
        }
      }
      childID ??= app.sessions.create(context.instance, {
        parentID: context.sessionID,
        title: `${args.description} (@${agent.name} subagent)`,
        permission: CHILD_RULES,
      }).id
      context.metadata({ title: args.description, metadata: { sessionId: childID } })

      const child = childID
      const onAbort = () => app.sessions.abort(context.instance, child)
      context.abort.addEventListener('abort', onAbort, { once: true })
      // `POST /experimental/session/:id/background` may detach this call: it then returns at
      // once and the subagent keeps running on its own (no longer aborted with the parent).
      let detach!: () => void
      const detached = new Promise<typeof BACKGROUND>((resolve) => (detach = () => resolve(BACKGROUND)))
      const release = app.sessions.blockingSubagent(context.instance, context.sessionID, detach)
      try {
        const running = app.sessions.promptText(context.instance, child, {
          text: args.prompt,
          agent: agent.name,
          model: agent.model ?? context.model,
        })
        const text = await Promise.race([running, detached])
        if (text === BACKGROUND) {
          running.catch(() => {}) // its failure is recorded in the child session
          return {
            title: args.description,
            output: `task_id: ${child} (for resuming to continue this task if needed)\n\nThe subagent continues in the background; its result is not available yet. Do not wait for it.`,
            metadata: { sessionId: child, background: true },
          }
        }
        if (context.abort.aborted) throw new Error('Tool execution aborted')
        return {
          title: args.description,
          output: `task_id: ${child} (for resuming to continue this task if needed)\n\n<task_result>\n${text}\n</task_result>`,
          metadata: { sessionId: child },
        }
      } finally {
        release()
        context.abort.removeEventListener('abort', onAbort)
      }
    },
  })
}
