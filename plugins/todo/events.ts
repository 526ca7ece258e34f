import { Type } from 'typebox'
import { defineEvent, ref } from '../../sdk/index.js'
import { Todo } from './schemas.js'

export const TodoUpdated = defineEvent('todo.updated', { sessionID: Type.String(), todos: Type.Array(ref(Todo)) })
