// The loopback listener `authenticate` waits on for the browser to come back with a code.
import { createServer } from 'node:http'
import { BadRequestError } from '../../sdk/index.js'

/** How long `authenticate` waits for the browser. */
const AUTHENTICATE_TIMEOUT_MS = 5 * 60_000

/** Listens on the redirect URI's port, runs `started`, and resolves with the `code` the browser brings back. */
export function receiveCode(redirect: URL, started: () => Promise<void>): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', redirect)
      if (url.pathname !== redirect.pathname) {
        response.writeHead(404).end()
        return
      }
      const code = url.searchParams.get('code')
      const error = url.searchParams.get('error')
      response.writeHead(code ? 200 : 400, { 'content-type': 'text/html; charset=utf-8' })
      response.end(code ? '<p>Authorized. You can close this window.</p>' : '<p>Authorization failed.</p>')
      finish(
        code ? undefined : new BadRequestError(`The authorization was refused: ${error ?? 'no code'}`),
        code ?? undefined,
      )
    })
    const timer = setTimeout(
      () => finish(new BadRequestError('No authorization came back within 5 minutes')),
      AUTHENTICATE_TIMEOUT_MS,
    )
    function finish(error?: Error, code?: string) {
      clearTimeout(timer)
      server.closeAllConnections()
      server.close()
      if (error || !code) reject(error ?? new Error('no code'))
      else resolvePromise(code)
    }
    server.once('error', (error) =>
      finish(new BadRequestError(`Cannot listen on ${redirect.host} for the OAuth callback: ${error.message}`)),
    )
    server.listen(Number(redirect.port || 80), redirect.hostname.replace(/^\[|\]$/g, ''), () => {
      started().catch((error: unknown) => finish(error as Error))
    })
  })
}
