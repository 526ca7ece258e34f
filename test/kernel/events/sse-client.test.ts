import { expect } from 'chai'
import { createServer, request, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { SseClient, sseFrame } from '../../../kernel/events/sse-client.js'

interface Frame {
  id: number
  data: any
}

/** A real HTTP server whose one SSE response is driven by an SseClient, and a client that can stop reading. */
async function connect(maxQueuedBytes = 4 * 1024 * 1024) {
  let client!: SseClient
  let closed = false
  const server: Server = createServer()
  const ready = new Promise<void>((resolve) => {
    server.once('request', (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' })
      client = new SseClient(response, { maxQueuedBytes, onClose: () => (closed = true) })
      resolve()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const text: string[] = []
  let response!: IncomingMessage
  const responded = new Promise<void>((resolve) => {
    const req = request(`http://127.0.0.1:${port}/`, (res) => {
      response = res
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => text.push(chunk))
      resolve()
    })
    req.on('error', () => {})
    req.end()
  })
  await ready
  client.sendFrame(sseFrame(0, '{"type":"hello"}'))
  await responded
  const frames = (): Frame[] =>
    text
      .join('')
      .split('\n\n')
      .slice(0, -1) // the text after the last blank line is a frame still arriving
      .filter((block) => block.startsWith('id: '))
      .map((block) => {
        const [idLine, dataLine] = block.split('\n')
        return { id: Number(idLine!.slice(4)), data: JSON.parse(dataLine!.slice(6)) }
      })
  const close = async () => {
    response.destroy()
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
  return { client, response, frames, close, isClosed: () => closed }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))
const until = async (condition: () => boolean) => {
  for (let i = 0; i < 2000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5))
  expect(condition()).to.equal(true)
}

const deltaPayload = (partID: string, delta: string) => ({
  type: 'message.part.delta',
  properties: { partID, field: 'text', delta },
})
const deltaFrameFor = (partID: string) => (seq: number, delta: string) =>
  sseFrame(seq, JSON.stringify(deltaPayload(partID, delta)))

describe('kernel: SSE client', () => {
  it('writes every frame queued in one event-loop turn as a single chunk', async () => {
    const sse = await connect()
    try {
      await until(() => sse.frames().length === 1)
      const writes: unknown[] = []
      const socket = sse.response.socket!
      const write = sse.client['response'].write.bind(sse.client['response'])
      sse.client['response'].write = ((chunk: unknown, ...rest: unknown[]) => {
        writes.push(chunk)
        return (write as (...args: unknown[]) => boolean)(chunk, ...rest)
      }) as never
      for (let i = 1; i <= 100; i++) sse.client.sendFrame(sseFrame(i, JSON.stringify({ n: i })))
      expect(writes).to.have.length(0)
      await tick()
      expect(writes).to.have.length(1)
      await until(() => sse.frames().length === 101)
      expect(sse.frames().map((frame) => frame.id)).to.deep.equal([...Array(101).keys()])
      expect(socket.destroyed).to.equal(false)
    } finally {
      await sse.close()
    }
  })

  it('coalesces deltas of one part while the client is behind, without losing or reordering text', async function () {
    this.timeout(30000)
    const sse = await connect(64 * 1024 * 1024)
    try {
      await until(() => sse.frames().length === 1)
      sse.response.pause()
      // Fill the socket until it pushes back.
      let seq = 1
      const filler = 'f'.repeat(64 * 1024)
      while (!sse.client.isBehind) {
        sse.client.sendFrame(sseFrame(seq++, JSON.stringify({ type: 'filler', pad: filler })))
        await tick()
      }
      const sent: string[] = []
      const deltas = 2000
      for (let i = 0; i < deltas; i++) {
        // Two parts interleaved in runs: a run of one part merges, a change of part starts a new frame.
        const partID = Math.floor(i / 500) % 2 === 0 ? 'prt_a' : 'prt_b'
        const delta = `${i},`
        sent.push(`${partID}:${delta}`)
        const frame = sseFrame(seq, JSON.stringify(deltaPayload(partID, delta)))
        sse.client.sendDelta(seq++, `p\u0000${partID}\u0000text`, delta, deltaFrameFor(partID), frame)
      }
      sse.client.sendFrame(sseFrame(seq, JSON.stringify({ type: 'last' })))
      sse.response.resume()
      await until(() => sse.frames().at(-1)?.data.type === 'last')
      const received = sse.frames().filter((frame) => frame.data.type === 'message.part.delta')
      // Four runs of 500 deltas each arrive as four frames.
      expect(received).to.have.length(4)
      const text = received.map((frame) => `${frame.data.properties.partID}:${frame.data.properties.delta}`)
      const expected = [0, 1, 2, 3].map((run) =>
        sent
          .slice(run * 500, run * 500 + 500)
          .join('')
          .replaceAll(/prt_[ab]:/g, ''),
      )
      expect(text).to.deep.equal(expected.map((joined, run) => `${run % 2 === 0 ? 'prt_a' : 'prt_b'}:${joined}`))
      const ids = sse.frames().map((frame) => frame.id)
      expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).to.equal(true)
      expect(received.at(-1)!.id).to.equal(seq - 1)
    } finally {
      await sse.close()
    }
  })

  it('sends each delta as its own frame to a client that keeps up', async () => {
    const sse = await connect()
    try {
      await until(() => sse.frames().length === 1)
      for (let i = 1; i <= 10; i++)
        sse.client.sendDelta(
          i,
          'k',
          `${i}`,
          deltaFrameFor('prt_a'),
          sseFrame(i, JSON.stringify(deltaPayload('prt_a', `${i}`))),
        )
      await until(() => sse.frames().length === 11)
      expect(
        sse
          .frames()
          .slice(1)
          .map((frame) => frame.data.properties.delta),
      ).to.deep.equal(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'])
    } finally {
      await sse.close()
    }
  })

  it('drops a client whose queue passes the bound, merged deltas included', async function () {
    this.timeout(30000)
    const sse = await connect(512 * 1024)
    try {
      await until(() => sse.frames().length === 1)
      sse.response.pause()
      let seq = 1
      while (!sse.client.isBehind && !sse.isClosed()) {
        sse.client.sendFrame(sseFrame(seq++, JSON.stringify({ pad: 'f'.repeat(16 * 1024) })))
        await tick()
      }
      const delta = 'd'.repeat(1024)
      let accepted = 0
      while (
        sse.client.sendDelta(
          seq,
          'k',
          delta,
          deltaFrameFor('prt_a'),
          sseFrame(seq++, JSON.stringify(deltaPayload('prt_a', delta))),
        )
      )
        accepted++
      expect(sse.isClosed()).to.equal(true)
      expect(accepted).to.be.below(600)
    } finally {
      await sse.close()
    }
  })
})
