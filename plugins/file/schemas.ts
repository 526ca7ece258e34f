import { InstanceQuery, StringEnum, named, ref } from '../../sdk/index.js'
import { Type } from 'typebox'

// Component names are OpenCode's (`File`, `FileNode`, `FileContent`, `Symbol`, `Range`), so the
// generated SDK types line up with `@opencode-ai/sdk`.

const Text = Type.Object({ text: Type.String() }, { additionalProperties: false })
const Offset = Type.Integer({ minimum: 0 })

/** One matching line, shaped as ripgrep's JSON `match` data (offsets in UTF-8 bytes). */
export const FindMatch = named(
  'FindMatch',
  Type.Object(
    {
      path: Text,
      lines: Text,
      line_number: Offset,
      absolute_offset: Offset,
      submatches: Type.Array(Type.Object({ match: Text, start: Offset, end: Offset }, { additionalProperties: false })),
    },
    { additionalProperties: false },
  ),
)

export const FileNode = named(
  'FileNode',
  Type.Object(
    {
      name: Type.String(),
      /** Relative to the instance directory. */
      path: Type.String(),
      absolute: Type.String(),
      type: StringEnum(['file', 'directory'] as const),
      ignored: Type.Boolean(),
    },
    { additionalProperties: false },
  ),
)

const Hunk = Type.Object(
  { oldStart: Offset, oldLines: Offset, newStart: Offset, newLines: Offset, lines: Type.Array(Type.String()) },
  { additionalProperties: false },
)

export const FileContent = named(
  'FileContent',
  Type.Object(
    {
      type: StringEnum(['text', 'binary'] as const),
      content: Type.String(),
      /** Unified diff against HEAD, for a text file that changed. */
      diff: Type.Optional(Type.String()),
      patch: Type.Optional(
        Type.Object(
          {
            oldFileName: Type.String(),
            newFileName: Type.String(),
            oldHeader: Type.Optional(Type.String()),
            newHeader: Type.Optional(Type.String()),
            hunks: Type.Array(Hunk),
            index: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
      ),
      encoding: Type.Optional(Type.Literal('base64')),
      mimeType: Type.Optional(Type.String()),
    },
    { additionalProperties: false },
  ),
)

/** A changed file, as `GET /file/status` lists it. */
export const FileInfo = named(
  'File',
  Type.Object(
    {
      path: Type.String(),
      added: Offset,
      removed: Offset,
      status: StringEnum(['added', 'deleted', 'modified'] as const),
    },
    { additionalProperties: false },
  ),
)

const Position = Type.Object({ line: Offset, character: Offset }, { additionalProperties: false })

export const Range = named('Range', Type.Object({ start: Position, end: Position }, { additionalProperties: false }))

export const LspSymbol = named(
  'Symbol',
  Type.Object(
    {
      name: Type.String(),
      kind: Offset,
      location: Type.Object({ uri: Type.String(), range: ref(Range) }, { additionalProperties: false }),
    },
    { additionalProperties: false },
  ),
)

const PathText = Type.String({ maxLength: 4096 })

export const FindTextQuery = Type.Object({
  ...InstanceQuery,
  pattern: Type.String({ minLength: 1, maxLength: 1000, description: 'Regular expression' }),
})

export const FindFilesQuery = Type.Object({
  ...InstanceQuery,
  query: Type.String({ maxLength: 1000 }),
  dirs: Type.Optional(StringEnum(['true', 'false'] as const, { description: 'Include directories (default true)' })),
  type: Type.Optional(StringEnum(['file', 'directory'] as const)),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, description: 'Default 10' })),
})

export const FindSymbolsQuery = Type.Object({ ...InstanceQuery, query: Type.String({ maxLength: 1000 }) })

export const FilePathQuery = Type.Object({ ...InstanceQuery, path: PathText })

// v2 (`/api/fs/*`) shapes.

export const FileSystemEntry = named(
  'FileSystemEntry',
  Type.Object({ path: Type.String(), type: StringEnum(['file', 'directory']) }, { additionalProperties: false }),
)
