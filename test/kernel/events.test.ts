import { expect } from 'chai'
import { request } from 'node:http'
import { connect } from 'node:net'
import { Type } from 'typebox'
import { defineEvent } from '../../kernel/events/bus.js'
import { cleanup, listen, openSse, settled, sleep, startServer, tempDir, type TestServer } from '../support/helper.js'

const Pinged = defineEvent('test.pinged', { n: Type.Number(), pad: Type.Optional(Type.String()) })

describe('kernel: event bus and SSE', () => {
  let server: TestServer
  let url: string
  let directory: string

  before(async () => {
    server = await startServer({ only: ['core'], heartbeatMs: 200, replayCapacity: 50, sseMaxQueuedBytes: 256 * 1024 })
    url = await listen(server)
    directory = tempDir()
  })
  after(cleanup)

  const publish = async (n: number, dir = directory, pad?: string) => {
    const instance = await server.kernel.instances.get(dir)
    return server.kernel.bus.publish(instance, Pinged, pad ? { n, pad } : { n })
  }

  it('sends server.connected first, then published events, each with an increasing id', async () => {
    const stream = await openSse(`${url}/event?directory=${directory}`)
    expect(stream.response.headers['content-type']).to.equal('text/event-stream')
    expect(stream.response.headers['x-accel-buffering']).to.equal('no')
    await stream.next((frame) => frame.data.type === 'server.connected')
    await publish(1)
    await publish(2)
    const second = await stream.next((frame) => frame.data.type === 'test.pinged' && frame.data.properties.n === 2)
    expect(stream.frames[0]!.data.type).to.equal('server.connected')
    expect(second.data.id).to.match(/^evt_/)
    const ids = stream.frames.map((frame) => Number(frame.id))
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).to.equal(true)
  })

  it('streams only its own instance on /event and every instance, wrapped, on /global/event', async () => {
    const other = tempDir()
    const local = await openSse(`${url}/event?directory=${directory}`)
    const global = await openSse(`${url}/global/event`)
    await global.next((frame) => frame.data.payload?.type === 'server.connected')
    await publish(10, other)
    await publish(11)
    await local.next((frame) => frame.data.properties?.n === 11)
    const wrapped = await global.next((frame) => frame.data.payload?.properties?.n === 10)
    expect(wrapped.data.directory).to.equal(other)
    expect(wrapped.data.project).to.equal('global')
    expect(local.frames.some((frame) => frame.data.properties?.n === 10)).to.equal(false)
    global.close()
    local.close()
  })

  it('sends server.heartbeat periodically', async () => {
    const stream = await openSse(`${url}/event?directory=${directory}`)
    await stream.next((frame) => frame.data.type === 'server.heartbeat', 2000)
  })

  it('replays the events missed since Last-Event-ID', async () => {
    const first = await openSse(`${url}/event?directory=${directory}`)
    await publish(100)
    const seen = await first.next((frame) => frame.data.properties?.n === 100)
    first.close()
    await publish(101)
    await publish(102)
    const again = await openSse(`${url}/event?directory=${directory}`, { 'last-event-id': seen.id })
    await again.next((frame) => frame.data.properties?.n === 102)
    const replayed = again.frames
      .filter((frame) => frame.data.type === 'test.pinged')
      .map((frame) => frame.data.properties.n)
    expect(replayed.slice(0, 2)).to.deep.equal([101, 102])
  })

  it('replays on /event and /global/event the frames live clients got, and keeps no frames on the events it holds', async () => {
    const local = await openSse(`${url}/event?directory=${directory}`)
    const global = await openSse(`${url}/global/event`)
    const busBefore = (await publish(700)).seq
    const before = Number((await local.next((frame) => frame.data.properties?.n === 700)).id)
    await global.next((frame) => frame.data.payload?.properties?.n === 700)
    for (const n of [701, 702, 703]) await publish(n)
    const live = [
      (await local.next((frame) => frame.data.properties?.n === 703)) &&
        local.frames.filter((frame) => Number(frame.id) > before && frame.data.type === 'test.pinged'),
      (await global.next((frame) => frame.data.payload?.properties?.n === 703)) &&
        global.frames.filter((frame) => Number(frame.id) > before && frame.data.payload?.type === 'test.pinged'),
    ]
    local.close()
    global.close()
    const replays = [
      await openSse(`${url}/event?directory=${directory}`, { 'last-event-id': String(before) }),
      await openSse(`${url}/global/event`, { 'last-event-id': String(before) }),
    ]
    await replays[0]!.next((frame) => frame.data.properties?.n === 703)
    await replays[1]!.next((frame) => frame.data.payload?.properties?.n === 703)
    expect(replays[0]!.frames.filter((frame) => frame.data.type === 'test.pinged')).to.deep.equal(live[0])
    expect(replays[1]!.frames.filter((frame) => frame.data.payload?.type === 'test.pinged')).to.deep.equal(live[1])
    for (const replay of replays) replay.close()
    // Frames kept on the held events would outlive their delivery as old-generation garbage.
    for (const event of server.kernel.bus.since(busBefore)!)
      expect(Object.keys(event).sort()).to.deep.equal(['directory', 'payload', 'project', 'seq'])
  })

  it('sends server.resync.required when the missed events are no longer held', async () => {
    const first = await openSse(`${url}/event?directory=${directory}`)
    await publish(200)
    const seen = await first.next((frame) => frame.data.properties?.n === 200)
    first.close()
    for (let n = 0; n < 60; n++) await publish(300 + n)
    const again = await openSse(`${url}/event?directory=${directory}`, { 'last-event-id': seen.id })
    const resync = await again.next((frame) => frame.data.type === 'server.resync.required')
    expect(resync.data.properties.lastEventID).to.equal(seen.id)
    const unknown = await openSse(`${url}/event?directory=${directory}`, { 'last-event-id': '12' })
    await unknown.next((frame) => frame.data.type === 'server.resync.required')
  })

  it('sends server.resync.required instead of a replay larger than a client may queue, so a reconnect is not cut off', async () => {
    const first = await openSse(`${url}/event?directory=${directory}`)
    await publish(400)
    const seen = await first.next((frame) => frame.data.properties?.n === 400)
    first.close()
    // 40 × 8 KB is more than half the 256 KB queue, and all 40 are still held (capacity 50).
    for (let n = 0; n < 40; n++) await publish(500 + n, directory, 'x'.repeat(8 * 1024))
    const again = await openSse(`${url}/event?directory=${directory}`, { 'last-event-id': seen.id })
    const resync = await again.next((frame) => frame.data.type === 'server.resync.required')
    expect(resync.data.properties.reason).to.match(/Too many events/)
    await publish(600)
    await again.next((frame) => frame.data.properties?.n === 600)
    again.close()
  })

  it('forgets clients that hang up before their stream opens (no subscriber left behind)', async () => {
    await sleep(50)
    const before = server.streams.size
    const port = Number(new URL(url).port)
    for (let i = 0; i < 20; i++) {
      const socket = connect(port, '127.0.0.1')
      socket.on('error', () => undefined)
      await new Promise<void>((resolve) => socket.on('connect', resolve))
      // A new directory: its instance is created first (git runs), and the client is gone meanwhile.
      socket.write(`GET /event?directory=${encodeURIComponent(tempDir())} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`)
      socket.destroy()
    }
    const deadline = Date.now() + 5000
    while (server.streams.size > before && Date.now() < deadline) await sleep(50)
    expect(server.streams.size).to.equal(before)
  })

  it('drops a client that stops reading, without blocking publishers or growing memory', async function () {
    this.timeout(30000)
    // Only clients that read are left: each receives every event of its own directory.
    await sleep(50)
    const before = server.streams.size
    const quiet = tempDir()
    // A raw socket that never reads: the server's writes back up and its queue overflows.
    const req = request(`${url}/event?directory=${quiet}`)
    const socketClosed = new Promise<void>((resolve) => req.on('close', () => resolve()))
    let response: import('node:http').IncomingMessage | undefined
    req.on('response', (res) => {
      response = res
      res.pause()
    })
    req.on('error', () => {})
    req.end()
    while (server.streams.size === before) await sleep(10)
    const pad = 'x'.repeat(1024)
    global.gc?.()
    const heapBefore = process.memoryUsage().heapUsed
    const started = Date.now()
    for (let n = 0; n < 10_000; n++) await publish(n, quiet, pad)
    const publishMs = Date.now() - started
    while (server.streams.size > before) await sleep(10)
    await settled(server)
    global.gc?.()
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore
    response?.destroy()
    req.destroy()
    await socketClosed
    expect(server.streams.size).to.equal(before)
    expect(publishMs).to.be.below(10_000)
    // 10,000 events of 1 KiB were published (10 MiB); what stays is the bounded replay buffer.
    expect(heapGrowth).to.be.below(8 * 1024 * 1024)
  })

  it('delivers events to in-process subscribers, and one failing listener does not stop the others', async () => {
    const seen: number[] = []
    const unsubscribeBad = server.kernel.bus.subscribe(() => {
      throw new Error('listener bug')
    })
    const unsubscribe = server.kernel.bus.subscribe(
      (event) => seen.push((event.payload.properties as { n: number }).n),
      directory,
    )
    await publish(7)
    unsubscribe()
    unsubscribeBad()
    await publish(8)
    expect(seen).to.deep.equal([7])
  })
})
