// A paused SSE reader while many events are published: the server's memory stays bounded, the
// other subscribers get every event, and the slow one is cut off with a cursor (its last
// `id:`) from which `Last-Event-ID` resumes (a replay, or `server.resync.required` when the
// events are no longer held).
import { request } from 'node:http'
import { openSse, parseSseFrames } from '../support/helper.js'
import { check, pool, project, rssMb, sleep, soakLlm, type Scenario } from './common.js'

const scenario: Scenario = {
  name: 'a paused SSE reader while events are published',
  async run({ short }) {
    const count = short ? 8000 : 20_000
    // Big enough that the paused reader's queue overflows (and it is cut off) in the short run too.
    const size = 1000
    const llm = await soakLlm()
    const p = project(llm)
    const server = await p.start()
    const pid = server.child.pid!
    const marker = `soak-${Date.now()}`
    const publish = (i: number) =>
      server.call('POST', '/tui/append-prompt', { text: `${marker} ${i} ${'x'.repeat(size)}` })

    const fast = [await openSse(`${server.url}/event`), await openSse(`${server.url}/global/event`)]
    // The slow reader reads the first frame, then nothing.
    let slowText = ''
    let slowEnded = false
    const slow = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      request(`${server.url}/event`, { headers: { accept: 'text/event-stream' } }, resolve)
        .on('error', reject)
        .end()
    })
    slow.setEncoding('utf8')
    slow.once('data', (chunk: string) => {
      slowText += chunk
      slow.pause()
    })
    slow.on('close', () => (slowEnded = true))
    slow.on('error', () => (slowEnded = true))

    await pool(Array.from({ length: 200 }), 16, (_, i) => publish(-1 - i))
    await sleep(500)
    const baseline = rssMb(pid)
    let peak = baseline
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 100)
    const statuses = await pool(Array.from({ length: count }), 16, async (_, i) => (await publish(i)).status)
    check(
      statuses.every((s) => s === 200),
      `publishing failed: ${statuses.filter((s) => s !== 200).length} non-200`,
    )

    const isOurs = (data: any) =>
      (data?.payload ?? data)?.type === 'tui.prompt.append' &&
      String((data?.payload ?? data)?.properties?.text).startsWith(`${marker} `)
    const deadline = Date.now() + 60_000
    while (
      fast.some((reader) => reader.frames.filter((f) => isOurs(f.data)).length < count + 200) &&
      Date.now() < deadline
    )
      await sleep(200)
    clearInterval(sampler)
    const got = fast.map((reader) => reader.frames.filter((f) => isOurs(f.data)).length)
    check(
      got.every((n) => n === count + 200),
      `fast subscribers got ${got.join(', ')} of ${count + 200} events`,
    )
    const growth = peak - baseline
    check(growth < 60, `RSS grew ${growth.toFixed(1)} MB`)

    // The slow reader now reads what reached it: the stream ends (cut off) before the last event.
    slow.on('data', (chunk: string) => (slowText += chunk))
    slow.resume()
    const endBy = Date.now() + 30_000
    while (!slowEnded && Date.now() < endBy) await sleep(100)
    check(slowEnded, 'the slow reader was not cut off')
    const slowFrames = parseSseFrames(slowText).frames
    const received = slowFrames.filter((f) => f.data.includes(`"${marker} `)).length
    check(received < count + 200, `the slow reader got all ${received} events`)
    const cursor = slowFrames.at(-1)!.id

    // Resuming from its cursor: the next events in order, or a resync when they are gone.
    const resumed = await openSse(`${server.url}/event`, { 'last-event-id': cursor }).catch((error: Error) => {
      throw new Error(
        `resuming from ${cursor} failed: ${error.message}; server exit ${server.child.exitCode}; log: ${server.log().slice(-3000)}`,
      )
    })
    const first = await resumed.next((f) => f.data?.type === 'server.resync.required' || isOurs(f.data), 10_000)
    const resync = first.data.type === 'server.resync.required'
    if (!resync) check(Number(first.id) > Number(cursor), `replay started at ${first.id}, before the cursor ${cursor}`)
    resumed.close()
    for (const reader of fast) reader.close()
    return {
      figures: {
        'events published': count,
        'event size (bytes)': size,
        'RSS baseline / peak / growth (MB)': `${baseline.toFixed(1)} / ${peak.toFixed(1)} / ${growth.toFixed(1)}`,
        'events each fast subscriber got': got.join(', '),
        'events the paused reader got before the cut': received,
        'resume from its cursor': resync
          ? `server.resync.required: ${first.data.properties.reason}`
          : `replay from id ${first.id}`,
      },
    }
  },
}
export default scenario
