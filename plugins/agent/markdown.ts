// Markdown files with YAML frontmatter (agents, commands, skills). Every problem becomes a
// ConfigInvalidError naming the file, the line and what is wrong, like a bad config file.
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml'
import { ConfigInvalidError } from '../../sdk/index.js'

export interface MarkdownFile {
  path: string
  /** The frontmatter as plain data (`{}` when there is none). */
  data: Record<string, unknown>
  /** Everything after the frontmatter. */
  body: string
  /** An error about frontmatter field `key`, pointing at its line. */
  invalid(key: string, problem: string): ConfigInvalidError
}

const OPENING = /^\uFEFF?---[ \t]*\r?\n/

/** Splits and parses `text`; throws ConfigInvalidError on bad YAML or a frontmatter that is not a mapping. */
export function parseMarkdown(path: string, text: string): MarkdownFile {
  const opening = OPENING.exec(text)
  if (!opening)
    return {
      path,
      data: {},
      body: text,
      invalid: (key, problem) => new ConfigInvalidError(path, `${key}: ${problem}`, 1, 1),
    }
  const rest = text.slice(opening[0].length)
  const closing = closingFence(rest)
  if (!closing) throw new ConfigInvalidError(path, 'the frontmatter is not closed by a "---" line', 1, 1)
  const yamlText = rest.slice(0, closing.start)
  const body = rest.slice(closing.end)
  // Frontmatter starts on line 2 of the file.
  const firstLine = 2

  let lines = new LineCounter()
  let document = parseDocument(yamlText, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  if (document.errors.length > 0) {
    // OpenCode accepts `description: Use when: x` (a colon inside an unquoted value); so do we.
    const relaxedLines = new LineCounter()
    const relaxed = parseDocument(quoteColonValues(yamlText), {
      lineCounter: relaxedLines,
      prettyErrors: false,
      uniqueKeys: true,
    })
    if (relaxed.errors.length > 0) {
      const error = document.errors[0]!
      const at = lines.linePos(Math.min(error.pos[0], Math.max(0, yamlText.length - 1)))
      throw new ConfigInvalidError(
        path,
        `invalid YAML frontmatter: ${error.message.split('\n')[0]}`,
        at.line + firstLine - 1,
        at.col,
      )
    }
    document = relaxed
    lines = relaxedLines
  }
  const contents = document.contents
  if (contents !== null && !isMap(contents)) {
    throw new ConfigInvalidError(path, 'the frontmatter must be a mapping of keys to values', firstLine, 1)
  }
  const data = (document.toJS() ?? {}) as Record<string, unknown>
  return {
    path,
    data,
    body,
    invalid(key, problem) {
      const at = keyPosition(document, lines, key)
      return new ConfigInvalidError(path, `${key}: ${problem}`, at ? at.line + firstLine - 1 : 1, at?.col ?? 1)
    },
  }
}

/** Where the `---` line that ends the frontmatter starts, and where the body after it starts. */
function closingFence(rest: string): { start: number; end: number } | undefined {
  let start = 0
  while (start <= rest.length) {
    const newline = rest.indexOf('\n', start)
    const end = newline === -1 ? rest.length : newline + 1
    if (/^---[ \t]*\r?$/.test(rest.slice(start, newline === -1 ? rest.length : newline))) return { start, end }
    if (newline === -1) return undefined
    start = end
  }
  return undefined
}

function keyPosition(document: Document, lines: LineCounter, key: string): { line: number; col: number } | undefined {
  const contents = document.contents
  if (!isMap(contents)) return undefined
  for (const pair of contents.items) {
    if (isScalar(pair.key) && pair.key.value === key && pair.key.range) return lines.linePos(pair.key.range[0])
  }
  return undefined
}

/** Quotes top-level `key: value` lines whose plain value holds `: `, the common hand-written mistake. */
function quoteColonValues(yamlText: string): string {
  return yamlText
    .split('\n')
    .map((line) => {
      const match = /^([A-Za-z_][\w-]*):[ \t]+(.*?)\r?$/.exec(line)
      if (!match) return line
      const value = match[2]!
      if (!value.includes(': ') || /^["'[{|>&*!#]/.test(value)) return line
      return `${match[1]}: ${JSON.stringify(value)}`
    })
    .join('\n')
}
