// Abrupt SSE connects and disconnects (before the answer, after the headers, after the first
// frame, half-closed, resuming with Last-Event-ID): no socket, file descriptor or subscriber left.
import { connect } from 'node:net'
import { listen, startServer } from '../support/helper.js'
import { check, openFds, pool, project, sleep, soakLlm, type Scenario } from './common.js'

/** One abrupt SSE client; `mode` says when it goes away. */
function churn(port: number, path: string, mode: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    const finish = () => {
      socket.destroy()
      resolve()
    }
    const timer = setTimeout(finish, 5000)
    socket.on('error', () => undefined)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve()
    })
    socket.on('connect', () => {
      const resume = mode === 4 ? 'Last-Event-ID: 1\r\n' : ''
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n${resume}\r\n`)
      if (mode === 0) finish()
    })
    let seen = ''
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1')
      if (mode === 1 && seen.includes('\r\n\r\n')) finish()
      else if ((mode === 2 || mode === 4) && seen.includes('\n\n', seen.indexOf('\r\n\r\n') + 4)) finish()
      else if (mode === 3 && seen.includes('\r\n\r\n')) socket.end()
    })
  })
}

async function settle<T>(read: () => T, target: (value: T) => boolean, ms: number): Promise<T> {
  const deadline = Date.now() + ms
  let value = read()
  while (!target(value) && Date.now() < deadline) {
    await sleep(100)
    value = read()
  }
  return value
}

const scenario: Scenario = {
  name: 'abrupt SSE connects and disconnects',
  async run({ short }) {
    const count = short ? 100 : 500
    const llm = await soakLlm()
    const p = project(llm)
    const server = await p.start()
    const pid = server.child.pid!
    const port = Number(new URL(server.url).port)
    await server.call('GET', '/global/health')
    await sleep(300)
    const fdsBefore = openFds(pid)
    await pool(Array.from({ length: count }), 20, (_, i) => churn(port, i % 2 ? '/event' : '/global/event', i % 5))
    const fdsAfter = await settle(
      () => openFds(pid),
      (n) => n <= fdsBefore + 2,
      10_000,
    )
    check(fdsAfter <= fdsBefore + 2, `file descriptors ${fdsBefore} → ${fdsAfter} after ${count} abrupt SSE clients`)
    const health = await server.call('GET', '/global/health')
    check(health.status === 200, 'the server stopped serving')

    // The same against an in-process server, where the subscribers themselves can be counted.
    const inProcess = await startServer({ cwd: p.repo, only: ['core'] })
    const url = await listen(inProcess)
    const inPort = Number(new URL(url).port)
    await pool(Array.from({ length: count }), 20, (_, i) => churn(inPort, i % 2 ? '/event' : '/global/event', i % 5))
    const streams = await settle(
      () => inProcess.streams.size,
      (n) => n === 0,
      10_000,
    )
    check(streams === 0, `${streams} SSE subscribers left after ${count} abrupt clients`)
    return {
      figures: {
        'abrupt SSE clients (real process)': count,
        'open fds before / after': `${fdsBefore} / ${fdsAfter}`,
        'SSE subscribers left (in-process run)': streams,
      },
    }
  },
}
export default scenario
