import type { TodoKernel } from './index.js'
import { Type } from 'typebox'
import { defineTool, type ToolResult } from '../../sdk/index.js'
import { TodoUpdated } from './events.js'
import type { TodoItem, TodoStore } from './store.js'

const TodoInput = Type.Object({
  content: Type.String({ minLength: 1, description: 'Brief description of the task' }),
  status: Type.Union(
    [Type.Literal('pending'), Type.Literal('in_progress'), Type.Literal('completed'), Type.Literal('cancelled')],
    {
      description: 'Current status of the task: pending, in_progress, completed, cancelled',
    },
  ),
  priority: Type.Union([Type.Literal('high'), Type.Literal('medium'), Type.Literal('low')], {
    description: 'Priority level of the task: high, medium, low',
  }),
  id: Type.Optional(Type.String({ description: 'Unique identifier for the todo item' })),
})

const MAX_TODOS = 200

function result(todos: TodoItem[]): ToolResult {
  const open = todos.filter((todo) => todo.status !== 'completed' && todo.status !== 'cancelled').length
  return { title: `${open} todos`, output: JSON.stringify(todos, null, 2), metadata: { todos } }
}

/** `todowrite` replaces the session's list and publishes `todo.updated`; `todoread` returns it. */
export function todoTools(kernel: TodoKernel, store: TodoStore) {
  const write = defineTool({
    id: 'todowrite',
    description:
      'Create and update the structured task list for this session: track progress on multi-step work and show the user what is planned. ' +
      'Send the whole list each time; mark one task in_progress at a time and completed as soon as it is done.',
    parameters: Type.Object({
      todos: Type.Array(TodoInput, { maxItems: MAX_TODOS, description: 'The updated todo list' }),
    }),
    async execute(args, context) {
      const todos: TodoItem[] = args.todos.map((todo) => ({
        content: todo.content,
        status: todo.status,
        priority: todo.priority,
      }))
      store.set(context.sessionID, todos)
      kernel.publish(context.instance, TodoUpdated, { sessionID: context.sessionID, todos })
      return result(todos)
    },
  })
  const read = defineTool({
    id: 'todoread',
    description: "Read the session's current todo list.",
    parameters: Type.Object({}),
    async execute(_args, context) {
      return result(store.get(context.sessionID))
    },
  })
  return [write, read]
}
