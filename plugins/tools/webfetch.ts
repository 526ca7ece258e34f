import { Type } from 'typebox'
import { defineTool } from '../../sdk/index.js'
import type { ToolEnv } from './env.js'
import { truncateOutput } from './truncate.js'

const MAX_BYTES = 5 * 1024 * 1024
const DEFAULT_TIMEOUT_S = 30
const MAX_TIMEOUT_S = 120

let turndown: Promise<(html: string) => string> | undefined
/** HTML → Markdown with turndown, loaded on first use. */
function toMarkdown(html: string): Promise<string> {
  turndown ??= import('turndown').then(({ default: TurndownService }) => {
    const service = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-' })
    service.remove(['script', 'style', 'noscript', 'iframe', 'object', 'embed'])
    return (input: string) => service.turndown(input)
  })
  return turndown.then((convert) => convert(html))
}

/** Visible text of an HTML page: scripts, styles and tags removed, entities decoded, blank runs squeezed. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|noscript|iframe|object|embed|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<br\s*\/?>|<\/(p|div|li|h[1-6]|tr|section|article)>/gi, '\n')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ')
    .replace(/ *\n */g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()
}

/** Reads at most MAX_BYTES of the body; more is an error. */
async function readBody(response: Response): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > MAX_BYTES)
    throw new Error(`Response too large (${declared} bytes; the limit is ${MAX_BYTES})`)
  const chunks: Buffer[] = []
  let size = 0
  if (!response.body) return Buffer.alloc(0)
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength
    if (size > MAX_BYTES) throw new Error(`Response too large (more than ${MAX_BYTES} bytes)`)
    chunks.push(Buffer.from(chunk))
  }
  return Buffer.concat(chunks)
}

function cause(error: unknown): string {
  const e = error as { message?: string; cause?: { message?: string; code?: string } }
  return e.cause?.message ?? e.cause?.code ?? e.message ?? String(error)
}

/** An http(s) URL, else an error the model reads. */
function parseUrl(raw: string): URL {
  let url: URL
  try {
    url = new URL(raw)
  } catch (error) {
    throw new Error(`Invalid URL: ${raw}`, { cause: error })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new Error(`Only http and https URLs can be fetched, not ${url.protocol}`)
  return url
}

/** Why a fetch failed, in words for the model. */
function fetchError(error: unknown, url: URL, seconds: number, aborted: boolean): Error {
  if (aborted) return new Error('Fetch aborted', { cause: error })
  const { name, message } = error as Error
  if (name === 'TimeoutError')
    return new Error(`Failed to fetch ${url.href}: timed out after ${seconds} s`, { cause: error })
  if (message.startsWith('Request failed') || message.startsWith('Response too large'))
    return new Error(`Failed to fetch ${url.href}: ${message}`, { cause: error })
  return new Error(`Failed to fetch ${url.href}: ${cause(error)}`, { cause: error })
}

/** Fetches the URL within `seconds` (or until the call is aborted); an answer of 400 or more is an error. */
async function fetchPage(
  url: URL,
  format: 'text' | 'markdown' | 'html',
  seconds: number,
  abort: AbortSignal,
): Promise<{ response: Response; body: Buffer }> {
  // A timer of our own rather than AbortSignal.timeout(): a timeout signal held only by
  // AbortSignal.any() can be garbage-collected before it fires (Node 20), and the fetch then
  // waits for the server however long it takes (seen in the full test run, which forces GCs).
  const timeout = new AbortController()
  const timer = setTimeout(
    () => timeout.abort(new DOMException(`timed out after ${seconds} s`, 'TimeoutError')),
    seconds * 1000,
  )
  const signal = AbortSignal.any([abort, timeout.signal])
  try {
    const response = await fetch(url, {
      signal,
      redirect: 'follow',
      headers: {
        'user-agent': 'opencode-kernel',
        accept:
          format === 'markdown'
            ? 'text/markdown, text/html;q=0.9, */*;q=0.1'
            : 'text/html, text/plain;q=0.9, */*;q=0.1',
      },
    })
    if (response.status >= 400) throw new Error(`Request failed with status code ${response.status}`)
    return { response, body: await readBody(response) }
  } catch (error) {
    throw fetchError(error, url, seconds, abort.aborted)
  } finally {
    clearTimeout(timer)
  }
}

export const webfetchTool = (env: ToolEnv) =>
  defineTool({
    id: 'webfetch',
    description:
      'Fetches a URL (http or https) and returns its content as markdown (default), plain text or raw html. ' +
      `Responses over ${MAX_BYTES / 1024 / 1024} MB are refused; timeout in seconds (default ${DEFAULT_TIMEOUT_S}, at most ${MAX_TIMEOUT_S}).`,
    parameters: Type.Object({
      url: Type.String({ description: 'The URL to fetch content from' }),
      format: Type.Optional(
        Type.Union([Type.Literal('text'), Type.Literal('markdown'), Type.Literal('html')], {
          description: 'The format to return the content in (default markdown)',
        }),
      ),
      timeout: Type.Optional(
        Type.Number({ exclusiveMinimum: 0, description: `Optional timeout in seconds (max ${MAX_TIMEOUT_S})` }),
      ),
    }),
    async execute(args, context) {
      const url = parseUrl(args.url)
      const format = args.format ?? 'markdown'
      await context.ask({
        permission: 'webfetch',
        patterns: [url.href],
        always: ['*'],
        metadata: { url: url.href, format },
      })
      const seconds = Math.min(args.timeout ?? DEFAULT_TIMEOUT_S, MAX_TIMEOUT_S)
      const { response, body } = await fetchPage(url, format, seconds, context.abort)
      const contentType = response.headers.get('content-type') ?? ''
      if (contentType.startsWith('image/')) {
        return {
          title: `${url.href} (${contentType})`,
          output: 'Image fetched successfully',
          metadata: {},
          attachments: [
            {
              mime: contentType.split(';')[0]!,
              url: `data:${contentType.split(';')[0]};base64,${body.toString('base64')}`,
            },
          ],
        }
      }
      const text = body.toString('utf8')
      const isHtml = contentType.includes('html')
      const content =
        !isHtml || format === 'html' ? text : format === 'markdown' ? await toMarkdown(text) : htmlToText(text)
      const cut = await truncateOutput(env.outputDir, content)
      return {
        title: `${url.href} (${contentType})`,
        output: cut.content,
        metadata: { truncated: cut.truncated, ...(cut.outputPath ? { outputPath: cut.outputPath } : {}) },
      }
    },
  })
