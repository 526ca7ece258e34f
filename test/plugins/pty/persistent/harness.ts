// A server with sessions and terminals, for the tests of OpenCode 2.1's persistent terminals.
import { mkdirSync, realpathSync } from 'node:fs'
import { join } from 'node:path'
import type { EventPayload } from '../../../../kernel/events/bus.js'
import { gitRepo, listen, onCleanup, startServer } from '../../../support/helper.js'

export const SESSION_PLUGINS = ['core', 'agent', 'provider', 'session', 'pty']
/** A shell that reads no profile, so its output is predictable. */
export const QUIET_SHELL = { command: 'bash', args: ['--noprofile', '--norc'], title: 'shell', env: {} }

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

export async function persistentServer(options: { password?: string; plugins?: string[] } = {}) {
  const repo = realpathSync(gitRepo())
  mkdirSync(join(repo, 'sub'))
  const server = await startServer({ cwd: repo, only: options.plugins ?? SESSION_PLUGINS, password: options.password })
  // Every event, the global ones (persistent-pty.*) included.
  const events: EventPayload[] = []
  onCleanup(server.kernel.bus.subscribe((event) => events.push(event.payload)))
  const auth: Record<string, string> = options.password
    ? { authorization: `Basic ${Buffer.from(`opencode:${options.password}`).toString('base64')}` }
    : {}
  const call = async (method: string, url: string, payload?: unknown, headers: Record<string, string> = {}) => {
    const response = await server.app.inject({
      method: method as 'GET',
      url,
      headers: { ...auth, ...headers },
      ...(payload === undefined ? {} : { payload: payload as object }),
    })
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined }
  }
  const createSession = async (): Promise<string> =>
    (await call('POST', `/session?directory=${encodeURIComponent(repo)}`, {})).body.id
  /** Starts a quiet bash in the session (`body` overrides) and answers its info. */
  const startTerminal = async (sessionID: string, body: Record<string, unknown> = {}) => {
    const answer = await call('POST', `/api/experimental/session/${sessionID}/terminal`, { ...QUIET_SHELL, ...body })
    if (answer.status !== 200) throw new Error(`terminal not started: ${answer.status} ${JSON.stringify(answer.body)}`)
    return answer.body.data
  }
  const info = async (ptyID: string) => (await call('GET', `/api/experimental/persistent-pty/${ptyID}`)).body.data
  /** The data of the `type` events (`persistent-pty.added|removed`) of these sessions, in order. */
  const sessionEvents = (type: string, ...sessionIDs: string[]) =>
    events
      .filter((event) => event.type === type && sessionIDs.includes(String(event.properties.sessionID)))
      .map((event) => event.properties)
  const base = await listen(server)
  return { repo, server, events, call, auth, base, createSession, startTerminal, info, sessionEvents }
}

export type PersistentServer = Awaited<ReturnType<typeof persistentServer>>
