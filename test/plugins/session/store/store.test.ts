import { expect } from 'chai'
import { ascendingId, descendingId } from '../../../../kernel/core/ids.js'
import { Storage } from '../../../../kernel/storage/sqlite-storage.js'
import type {
  AssistantMessage,
  MessageWithParts,
  SessionInfo,
  TextPart,
  UserMessage,
} from '../../../../plugins/session/schemas.js'
import { SESSION_MIGRATIONS } from '../../../../plugins/session/store/migrations.js'
import { SessionStore } from '../../../../plugins/session/store/store.js'

function session(id: string): SessionInfo {
  const now = Date.now()
  return {
    id,
    slug: 'calm-otter',
    projectID: 'p',
    directory: '/p',
    path: '',
    cost: 0,
    tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } },
    title: 't',
    version: '0',
    time: { created: now, updated: now },
  }
}

const user = (sessionID: string, id = ascendingId('msg')): UserMessage => ({
  id,
  sessionID,
  role: 'user',
  time: { created: Date.now() },
  agent: 'build',
  model: { providerID: 'p', modelID: 'm' },
})

const assistant = (sessionID: string, parentID: string, extra: Partial<AssistantMessage> = {}): AssistantMessage => ({
  id: ascendingId('msg'),
  sessionID,
  role: 'assistant',
  time: { created: Date.now() },
  parentID,
  modelID: 'm',
  providerID: 'p',
  mode: 'build',
  agent: 'build',
  path: { cwd: '/p', root: '/p' },
  cost: 0,
  tokens: { input: 0, output: 0, reasoning: 0, cache: { read: 0, write: 0 } },
  ...extra,
})

const text = (message: { id: string; sessionID: string }, value: string): TextPart => ({
  id: ascendingId('prt'),
  sessionID: message.sessionID,
  messageID: message.id,
  type: 'text',
  text: value,
})

/** What a fresh store (no cache) reads for the same session: the reference the cached history must equal. */
const fresh = (storage: Storage, sessionID: string): MessageWithParts[] =>
  new SessionStore(storage.db).history(sessionID)

describe('session: store', () => {
  let storage: Storage
  let store: SessionStore
  let sessionID: string

  beforeEach(() => {
    storage = new Storage(':memory:')
    storage.migrate('session', SESSION_MIGRATIONS)
    store = new SessionStore(storage.db)
    sessionID = descendingId('ses')
    store.createSession(session(sessionID))
  })

  afterEach(() => storage.close())

  describe('whole message list body', () => {
    it("follows every write and deletion of the session's messages and parts", () => {
      const body = () => JSON.parse(store.allMessagesBody(sessionID).toString()) as MessageWithParts[]
      const first = user(sessionID)
      store.saveMessage(first)
      expect(body()).to.have.length(1)
      const part = text(first, 'one')
      store.savePart(part)
      expect(body()[0]!.parts).to.have.length(1)
      part.text = 'two'
      store.saveParts([part])
      expect((body()[0]!.parts[0] as TextPart).text).to.equal('two')
      store.deletePart(first.id, part.id)
      expect(body()[0]!.parts).to.deep.equal([])
      store.deleteMessage(sessionID, first.id)
      expect(body()).to.deep.equal([])
      store.saveMessage(user(sessionID))
      store.deleteSessions([sessionID])
      expect(body()).to.deep.equal([])
    })
  })

  describe('history', () => {
    it('stays equal to what the database holds through message and part writes, updates and deletions', () => {
      const first = user(sessionID)
      store.saveMessage(first)
      store.savePart(text(first, 'hello'))
      expect(store.history(sessionID)).to.have.length(1)

      const reply = assistant(sessionID, first.id)
      store.saveMessage(reply)
      const streamed = text(reply, 'Hi')
      store.savePart(streamed)
      streamed.text = 'Hi there'
      store.saveParts([streamed, text(reply, 'second part')])
      reply.time.completed = Date.now()
      store.saveMessage(reply)
      expect(store.history(sessionID)).to.deep.equal(fresh(storage, sessionID))
      expect(store.history(sessionID)[1]!.parts.map((part) => (part as TextPart).text)).to.deep.equal([
        'Hi there',
        'second part',
      ])

      // A client-chosen id between two stored ones (after the first, before the reply) goes in id order.
      const early = user(sessionID, first.id + '0')
      store.saveMessage(early)
      expect(store.history(sessionID).map((m) => m.info.id)).to.deep.equal(
        fresh(storage, sessionID).map((m) => m.info.id),
      )

      store.deletePart(reply.id, streamed.id)
      expect(store.history(sessionID)).to.deep.equal(fresh(storage, sessionID))
      store.deleteMessage(sessionID, early.id)
      expect(store.history(sessionID)).to.deep.equal(fresh(storage, sessionID))
      expect(store.history(sessionID)).to.have.length(2)
    })

    it('hands out arrays and messages that later writes do not change', () => {
      const first = user(sessionID)
      store.saveMessage(first)
      const part = text(first, 'before')
      store.savePart(part)
      const before = store.history(sessionID)
      part.text = 'after'
      store.savePart(part)
      store.saveMessage(user(sessionID))
      expect(before).to.have.length(1)
      expect((before[0]!.parts[0] as TextPart).text).to.equal('before')
      expect((store.history(sessionID)[0]!.parts[0] as TextPart).text).to.equal('after')
    })

    it('starts at the request the newest finished summary answered', () => {
      const old = user(sessionID)
      store.saveMessage(old)
      store.saveMessage(assistant(sessionID, old.id, { time: { created: Date.now(), completed: Date.now() } }))
      expect(store.history(sessionID)).to.have.length(2)
      const request = user(sessionID)
      store.saveMessage(request)
      const summary = assistant(sessionID, request.id, { summary: true })
      store.saveMessage(summary)
      expect(store.history(sessionID)).to.have.length(4)
      summary.time.completed = Date.now()
      store.saveMessage(summary)
      expect(store.history(sessionID).map((m) => m.info.id)).to.deep.equal([request.id, summary.id])
    })

    it('reads again after a write inside a transaction that rolls back', () => {
      const first = user(sessionID)
      store.saveMessage(first)
      store.history(sessionID)
      expect(() =>
        storage.db.transaction(() => {
          store.savePart(text(first, 'rolled back'))
          throw new Error('roll back')
        })(),
      ).to.throw('roll back')
      expect(store.history(sessionID)[0]!.parts).to.deep.equal([])
    })

    it('forgets a deleted session', () => {
      const first = user(sessionID)
      store.saveMessage(first)
      store.history(sessionID)
      store.deleteSessions([sessionID])
      expect(store.history(sessionID)).to.deep.equal([])
      expect(fresh(storage, sessionID)).to.deep.equal([])
    })
  })
})
