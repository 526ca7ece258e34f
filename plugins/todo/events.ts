import { Type } from 'typebox'
import { defineEvent } from '../../kernel/bus.js'
import { ref } from '../../kernel/schemas.js'
import { Todo } from './schemas.js'

export const TodoUpdated = defineEvent('todo.updated', { sessionID: Type.String(), todos: Type.Array(ref(Todo)) })
