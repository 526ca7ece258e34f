import { expect } from 'chai'
import { ServerResponse } from 'node:http'
import { cleanup, listen, onCleanup, openSse } from '../../support/helper.js'
import { sessionHarness } from '../../support/session.js'

/** What the server wrote, in order: each SSE chunk, and each answer's end, tagged by what it is. */
interface Write {
  kind: 'sse' | 'answer'
  text: string
}

/**
 * Records the order in which the server hands bytes to its sockets: SSE chunks (`write` on an
 * event-stream response) and answers (`end`). Two sockets cannot promise a client which one it
 * reads first, but a frame written after the answer is sure to lose the race; this is what the
 * server controls.
 */
function recordWrites(): Write[] {
  const writes: Write[] = []
  const write = ServerResponse.prototype.write
  const end = ServerResponse.prototype.end
  // The test's SSE clients ask for `text/event-stream`; nothing else here does.
  const isStream = (response: ServerResponse) => response.req?.headers.accept === 'text/event-stream'
  ServerResponse.prototype.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    if (isStream(this)) writes.push({ kind: 'sse', text: String(chunk) })
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest)
  } as typeof write
  ServerResponse.prototype.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    if (!isStream(this) && this.req?.method === 'POST')
      writes.push({ kind: 'answer', text: typeof chunk === 'string' ? chunk : String(chunk ?? '') })
    return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest)
  } as typeof end
  onCleanup(() => {
    ServerResponse.prototype.write = write
    ServerResponse.prototype.end = end
  })
  return writes
}

describe('kernel: an answer never overtakes the events it reports', function () {
  this.timeout(60_000)
  after(cleanup)

  it('writes the frames of a turn on every stream before the answer to POST /session/:id/message', async () => {
    const harness = await sessionHarness()
    const url = await listen(harness.server)
    const q = `?directory=${encodeURIComponent(harness.repo)}`
    const streams = [
      await openSse(`${url}/event${q}`),
      await openSse(`${url}/global/event`),
      await openSse(`${url}/api/event`),
    ]
    const session = (await (
      await fetch(`${url}/session${q}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    ).json()) as { id: string }
    for (const stream of streams.slice(0, 2))
      await stream.next((frame) => String(JSON.stringify(frame.data)).includes(session.id))
    const writes = recordWrites()

    for (let turn = 0; turn < 3; turn++) {
      const text = `answer number ${turn}`
      harness.llm.script({ text: [text.slice(0, 7), text.slice(7)] })
      writes.length = 0
      const response = await fetch(`${url}/session/${session.id}/message${q}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ parts: [{ type: 'text', text: `question ${turn}` }] }),
      })
      expect(response.status).to.equal(200)
      const messageID = ((await response.json()) as { info: { id: string } }).info.id
      const answerAt = writes.findIndex((write) => write.kind === 'answer' && write.text.includes(messageID))
      expect(answerAt, 'the answer was written').to.be.greaterThan(-1)
      const before = writes.slice(0, answerAt).filter((write) => write.kind === 'sse')
      // The completed message (v1 and global streams) and the step's end (`/api/event`).
      const completed = before.filter(
        (write) => write.text.includes(`"id":"${messageID}"`) && write.text.includes('"completed":'),
      )
      expect(completed.length, `turn ${turn}: the completed message on /event and /global/event`).to.be.at.least(2)
      expect(
        before.some((write) => write.text.includes('step.ended') && write.text.includes(messageID)),
        `turn ${turn}: the end of the step on /api/event`,
      ).to.equal(true)
    }
  })
})
