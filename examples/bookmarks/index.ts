// A community plugin, written as a third party would write it: it imports only the public SDK
// (`opencode-kernel`), keeps per-project state, stores rows in its own SQLite table, declares its
// schemas and events, and registers routes. Load it by listing its path (or package name) in the
// project's `opencode.json`: `{ "plugin": ["./examples/bookmarks/index.js"] }`.
import { Type, type Static } from 'typebox'
import { defineEvent, definePlugin, named, NotFoundError, registerSchemas, ref, ascendingId } from 'opencode-kernel'

const Bookmark = named(
  'Example.Bookmark',
  Type.Object({
    id: Type.String(),
    path: Type.String({ minLength: 1, maxLength: 4096 }),
    note: Type.String({ maxLength: 1000 }),
  }),
)
type Bookmark = Static<typeof Bookmark>

const BookmarkInput = Type.Object(
  { path: Type.String({ minLength: 1, maxLength: 4096 }), note: Type.String({ maxLength: 1000, default: '' }) },
  { additionalProperties: false },
)

const BookmarkAdded = defineEvent('example.bookmark.added', { bookmark: ref(Bookmark) })

export default definePlugin({
  name: 'example-bookmarks',
  kernel: '>=0.1.0',
  register(app, kernel) {
    registerSchemas(app, [Bookmark])
    kernel.storage.migrate('example-bookmarks', [
      {
        id: '0001-bookmarks',
        up: (db) =>
          db.exec(
            'CREATE TABLE example_bookmark (id TEXT PRIMARY KEY, project_id TEXT NOT NULL, path TEXT NOT NULL, note TEXT NOT NULL)',
          ),
      },
    ])
    const db = kernel.storage.db
    const insert = db.prepare('INSERT INTO example_bookmark (id, project_id, path, note) VALUES (?, ?, ?, ?)')
    const list = db.prepare<[string], Bookmark>(
      'SELECT id, path, note FROM example_bookmark WHERE project_id = ? ORDER BY id',
    )
    const remove = db.prepare('DELETE FROM example_bookmark WHERE project_id = ? AND id = ?')

    app.get(
      '/example/bookmark',
      {
        schema: {
          operationId: 'example.bookmark.list',
          tags: ['examples'],
          response: { 200: Type.Array(ref(Bookmark)) },
        },
      },
      async (request) => list.all(request.instance.project.id),
    )
    app.post(
      '/example/bookmark',
      {
        schema: {
          operationId: 'example.bookmark.add',
          tags: ['examples'],
          body: BookmarkInput,
          response: { 200: ref(Bookmark) },
        },
      },
      async (request) => {
        const input = request.body as Static<typeof BookmarkInput>
        const bookmark: Bookmark = { id: ascendingId('bkm'), path: input.path, note: input.note }
        insert.run(bookmark.id, request.instance.project.id, bookmark.path, bookmark.note)
        kernel.publish(request.instance, BookmarkAdded, { bookmark })
        return bookmark
      },
    )
    app.delete(
      '/example/bookmark/:bookmarkID',
      {
        schema: {
          operationId: 'example.bookmark.remove',
          tags: ['examples'],
          params: Type.Object({ bookmarkID: Type.String() }),
          response: { 200: Type.Boolean() },
        },
      },
      async (request) => {
        const { bookmarkID } = request.params as { bookmarkID: string }
        if (remove.run(request.instance.project.id, bookmarkID).changes === 0)
          throw new NotFoundError(`Bookmark not found: ${bookmarkID}`)
        return true
      },
    )
  },
})
