import { Type } from 'typebox'
import { named } from '../../sdk/index.js'

export const Todo = named(
  'Todo',
  Type.Object({
    content: Type.String({ description: 'Brief description of the task' }),
    status: Type.String({ description: 'Current status of the task: pending, in_progress, completed, cancelled' }),
    priority: Type.String({ description: 'Priority level of the task: high, medium, low' }),
  }),
)

export const TodoParams = Type.Object({ sessionID: Type.String({ pattern: '^ses', maxLength: 100 }) })
