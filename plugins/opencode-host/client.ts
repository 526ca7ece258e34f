import type { FastifyInstance } from 'fastify'

/**
 * A `fetch` that answers from the app in-process (`app.inject`): no socket, no port, and it works
 * before the server listens. `headers` are added to every request (the server's credentials).
 */
export function injectFetch(
  app: () => FastifyInstance,
  headers: () => Record<string, string>,
): (request: Request) => Promise<Response> {
  return async (request: Request) => {
    const url = new URL(request.url)
    const body =
      request.method === 'GET' || request.method === 'HEAD' ? undefined : Buffer.from(await request.arrayBuffer())
    const requestHeaders: Record<string, string> = { ...headers() }
    request.headers.forEach((value, key) => (requestHeaders[key] = value))
    const response = await app().inject({
      method: request.method as 'GET',
      url: url.pathname + url.search,
      headers: requestHeaders,
      ...(body && body.length ? { payload: body } : {}),
    })
    const responseHeaders = new Headers()
    for (const [key, value] of Object.entries(response.headers)) {
      if (value === undefined) continue
      for (const item of Array.isArray(value) ? value : [value]) responseHeaders.append(key, String(item))
    }
    const empty = response.statusCode === 204 || response.statusCode === 304 || request.method === 'HEAD'
    return new Response(empty ? null : response.rawPayload, { status: response.statusCode, headers: responseHeaders })
  }
}

let sdk: typeof import('@opencode-ai/sdk') | undefined

/** The official v1 SDK client bound to this server and directory, answered in-process. */
export async function createClient(
  app: () => FastifyInstance,
  directory: string,
  serverUrl: () => URL,
  headers: () => Record<string, string>,
): Promise<unknown> {
  sdk ??= await import('@opencode-ai/sdk')
  return sdk.createOpencodeClient({
    baseUrl: serverUrl().href.replace(/\/$/, ''),
    directory,
    fetch: injectFetch(app, headers),
  })
}
