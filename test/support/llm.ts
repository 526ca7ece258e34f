// A scripted OpenAI-compatible chat-completions server for tests: real HTTP, real SSE streaming
// chunks (text, reasoning_content, tool calls, usage), errors with status codes, slow and hanging
// streams. Each request takes the next scripted turn; title requests are answered on their own.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ScriptedToolCall {
  name: string
  /** An object is sent as JSON, in two argument chunks (as real providers split them). */
  args: unknown
  id?: string
}

export interface Turn {
  /** Text deltas, sent in order (a string is one delta). */
  text?: string | string[]
  /** `reasoning_content` deltas, sent before the text. */
  reasoning?: string | string[]
  toolCalls?: ScriptedToolCall[]
  /** Default: `tool_calls` when there are tool calls, else `stop`. */
  finish?: 'stop' | 'tool_calls' | 'length' | 'content_filter'
  usage?: { prompt_tokens: number; completion_tokens: number; reasoning_tokens?: number; cached_tokens?: number }
  /** Pause before each chunk (a slow stream). */
  delayMs?: number
  /** Send the first chunks, then never finish (until the client goes away). */
  hang?: boolean
  /** Answer an HTTP error instead of a stream. */
  status?: number
  error?: string
  headers?: Record<string, string>
}

export interface RecordedRequest {
  path: string
  headers: IncomingMessage['headers']
  body: {
    model: string
    stream?: boolean
    messages: { role: string; content: unknown; tool_calls?: unknown[]; tool_call_id?: string }[]
    tools?: { type: string; function: { name: string; description?: string; parameters: unknown } }[]
    [key: string]: unknown
  }
}

const TITLE_MARKER = 'Generate a title for this conversation'

export class ScriptedLlm {
  readonly requests: RecordedRequest[] = []
  readonly titleRequests: RecordedRequest[] = []
  /** What title requests answer. */
  title = 'Scripted title'
  /** Answers a request when no turn is scripted (soak runs); without it such a request gets a 500. */
  fallback?: (body: RecordedRequest['body']) => Turn
  private readonly turns: Turn[] = []
  private readonly waiters: (() => void)[] = []
  private readonly open = new Set<ServerResponse>()
  private server?: Server
  url = ''

  /** Queues turns; each chat request (other than a title request) takes the next one. */
  script(...turns: Turn[]): this {
    this.turns.push(...turns)
    return this
  }

  get pending(): number {
    return this.turns.length
  }

  /** Drops the turns no request has taken (a test that failed half-way leaves them behind). */
  forget(): void {
    this.turns.length = 0
  }

  /** Resolves when `count` chat requests (title requests excluded) have arrived. */
  async untilRequests(count: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.requests.length < count) {
      if (Date.now() > deadline) throw new Error(`expected ${count} LLM requests, got ${this.requests.length}`)
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve)
        setTimeout(resolve, 20)
      })
    }
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => void this.handle(request, response))
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`
    return this.url
  }

  async close(): Promise<void> {
    for (const response of this.open) response.destroy()
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve())
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    let body: RecordedRequest['body']
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    } catch {
      response
        .writeHead(400, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: { message: 'bad json' } }))
      return
    }
    const recorded: RecordedRequest = { path: request.url ?? '', headers: request.headers, body }
    const isTitle = JSON.stringify(body.messages).includes(TITLE_MARKER)
    if (isTitle) {
      this.titleRequests.push(recorded)
      return this.answer(response, body, { text: this.title })
    }
    this.requests.push(recorded)
    for (const wake of this.waiters.splice(0)) wake()
    const turn = this.turns.shift() ?? this.fallback?.(body)
    if (!turn) {
      response.writeHead(500, { 'content-type': 'application/json' })
      response.end(
        JSON.stringify({ error: { message: 'ScriptedLlm: no turn scripted for this request', type: 'server_error' } }),
      )
      return
    }
    return this.answer(response, body, turn)
  }

  private async answer(response: ServerResponse, body: RecordedRequest['body'], turn: Turn): Promise<void> {
    if (turn.status) {
      response.writeHead(turn.status, { 'content-type': 'application/json', ...turn.headers })
      response.end(
        JSON.stringify({
          error: { message: turn.error ?? `scripted error ${turn.status}`, type: 'scripted_error', code: turn.status },
        }),
      )
      return
    }
    const created = Math.floor(Date.now() / 1000)
    const base = { id: 'chatcmpl-scripted', object: 'chat.completion.chunk', created, model: body.model }
    const usage = turn.usage ?? { prompt_tokens: 10, completion_tokens: 5 }
    const toolCalls = turn.toolCalls ?? []
    const finish = turn.finish ?? (toolCalls.length ? 'tool_calls' : 'stop')

    if (!body.stream) {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(
        JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: ([] as string[]).concat(turn.text ?? []).join('') },
              finish_reason: finish,
            },
          ],
          usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
        }),
      )
      return
    }

    const frames: unknown[] = [
      { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] },
    ]
    for (const delta of ([] as string[]).concat(turn.reasoning ?? []))
      frames.push({ ...base, choices: [{ index: 0, delta: { reasoning_content: delta }, finish_reason: null }] })
    for (const delta of ([] as string[]).concat(turn.text ?? []))
      frames.push({ ...base, choices: [{ index: 0, delta: { content: delta }, finish_reason: null }] })
    toolCalls.forEach((call, index) => {
      const args = typeof call.args === 'string' ? call.args : JSON.stringify(call.args)
      const half = Math.floor(args.length / 2)
      const id = call.id ?? `call_${index + 1}`
      frames.push({
        ...base,
        choices: [
          {
            index: 0,
            delta: {
              tool_calls: [
                { index, id, type: 'function', function: { name: call.name, arguments: args.slice(0, half) } },
              ],
            },
            finish_reason: null,
          },
        ],
      })
      frames.push({
        ...base,
        choices: [
          {
            index: 0,
            delta: { tool_calls: [{ index, function: { arguments: args.slice(half) } }] },
            finish_reason: null,
          },
        ],
      })
    })
    frames.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: finish }] })
    frames.push({
      ...base,
      choices: [],
      usage: {
        ...usage,
        total_tokens: usage.prompt_tokens + usage.completion_tokens,
        completion_tokens_details: { reasoning_tokens: usage.reasoning_tokens ?? 0 },
        prompt_tokens_details: { cached_tokens: usage.cached_tokens ?? 0 },
      },
    })

    response.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    })
    this.open.add(response)
    response.on('close', () => this.open.delete(response))
    // A hanging stream sends its first chunks and then waits for the client to go away.
    const sendable = turn.hang ? frames.slice(0, Math.max(2, frames.length - 2)) : frames
    for (const frame of sendable) {
      if (response.destroyed) return
      if (turn.delayMs) await new Promise((resolve) => setTimeout(resolve, turn.delayMs))
      response.write(`data: ${JSON.stringify(frame)}\n\n`)
    }
    if (turn.hang) return
    response.end('data: [DONE]\n\n')
  }
}
