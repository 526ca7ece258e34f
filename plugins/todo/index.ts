import { Type } from 'typebox'
import {
  InstanceQuery,
  definePlugin,
  ref,
  registerSchemas,
  type KernelMember,
  type PluginKernel,
} from '../../sdk/index.js'
import { Todo, TodoParams } from './schemas.js'
import { TODO_MIGRATIONS, TodoStore, type TodoItem } from './store.js'
import { todoTools } from './tools.js'
import { SyncProjectors } from '../sync/types.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['bus', 'storage', 'extensions', 'tools', 'publish'] as const satisfies readonly KernelMember[]
export type TodoKernel = PluginKernel<(typeof needs)[number]>

/** Per-session todo lists: the `todowrite`/`todoread` tools, `GET /session/:sessionID/todo`, `todo.updated`. */
export default definePlugin({
  name: 'todo',
  dependencies: ['session'],
  needs,
  register(app, kernel) {
    registerSchemas(app, [Todo])
    kernel.storage.migrate('todo', TODO_MIGRATIONS)
    const store = new TodoStore(kernel.storage.db)
    kernel.tools.register('todo', ...todoTools(kernel, store))
    // todo.updated joins the session's sync log; a replay restores the list.
    kernel.extensions.provide(SyncProjectors, 'todo', {
      types: ['todo.updated'],
      apply: (_type, data, { aggregateID }) => store.set(aggregateID, data.todos as TodoItem[]),
    })

    const unsubscribe = kernel.bus.subscribe((event) => {
      if (event.payload.type === 'session.deleted')
        store.remove((event.payload.properties as { sessionID: string }).sessionID)
    })
    app.addHook('onClose', async () => unsubscribe())

    app.get(
      '/session/:sessionID/todo',
      {
        schema: {
          operationId: 'session.todo',
          tags: ['session'],
          summary: "The session's todo list",
          description: 'As the last `todowrite` left it; `[]` before any.',
          params: TodoParams,
          querystring: Type.Object(InstanceQuery),
          response: { 200: Type.Array(ref(Todo)) },
        },
      },
      async (request) => {
        const { sessionID } = request.params
        app.sessions.get(request.instance, sessionID)
        return store.get(sessionID)
      },
    )
  },
})
