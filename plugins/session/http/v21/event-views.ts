// How the session plugin's events read on OpenCode 2.1's `GET /api/event`: 1.18's
// `session.next.*` events renamed and reshaped (text parts by `ordinal`, tools by `id`), v1's
// message and status events hidden (2.1 has no such events), 2.1's own events without a location
// where 2.1 sends none. One event on the bus; each stream renders its own dialect.
import { defineEventView, type EventView } from '../../../../sdk/index.js'
import type { SessionInfo } from '../../schemas.js'
import type { TurnEvents } from '../v2/events.js'
import { LOCATED_21_EVENTS, PLACELESS_21_EVENTS } from './events.js'

type Data = Record<string, unknown>
type Render = (data: Data) => EventView | undefined

/** v1 events 2.1 does not have: its clients read the transcript and the 2.1 events instead. */
const HIDDEN = [
  'session.updated',
  'session.status',
  'session.idle',
  'session.error',
  'session.compacted',
  'session.diff',
  'message.updated',
  'message.removed',
  'message.part.updated',
  'message.part.removed',
  'message.part.delta',
  'command.executed',
  // The inbox events stand for these (their ids are the inbox's).
  'session.next.prompt.admitted',
  'session.next.prompted',
]

/** `sessionID` first, then what `pick` gives, without 1.18's `timestamp`. */
function shaped(type: string, pick: (data: Data) => Data, extra: Partial<EventView> = {}): Render {
  return (data) => ({ type, data: { sessionID: data.sessionID, ...pick(data) }, ...extra })
}

/** An event that added a transcript entry (`messageID`): its envelope id shares the entry's id body. */
function entryEvent(render: Render): Render {
  return (data) => {
    const view = render(data)
    return view && typeof data.messageID === 'string' ? { ...view, id: `evt_${data.messageID.slice(4)}` } : view
  }
}

function stepViews(): Record<string, Render> {
  const step = (data: Data) => ({ assistantMessageID: data.assistantMessageID })
  return {
    'session.next.step.started': shaped('session.step.started', (d) => ({
      agent: d.agent,
      model: d.model,
      ...step(d),
      ...(d.snapshot ? { snapshot: d.snapshot } : {}),
      started: d.timestamp,
    })),
    'session.next.step.ended': shaped('session.step.ended', (d) => ({
      ...step(d),
      finish: d.finish,
      rawFinish: String(d.finish).replace('-', '_'),
      cost: d.cost,
      tokens: d.tokens,
      ...(d.snapshot ? { snapshot: d.snapshot } : {}),
      files: d.files ?? [],
    })),
    'session.next.step.failed': shaped('session.step.failed', (d) => ({
      ...step(d),
      error: stepError(d.error as { message: string }),
    })),
  }
}

function stepError(error: { message: string }): { type: string; message: string } {
  if (error.message === 'Provider turn interrupted') return { type: 'aborted', message: 'Step interrupted' }
  return { type: 'unknown', message: error.message }
}

function streamedViews(events: TurnEvents): Record<string, Render> {
  const views: Record<string, Render> = {}
  for (const kind of ['text', 'reasoning'] as const) {
    const id = kind === 'text' ? 'textID' : 'reasoningID'
    const at = (d: Data) => ({ assistantMessageID: d.assistantMessageID, ordinal: events.ordinalOf(String(d[id])) })
    views[`session.next.${kind}.started`] = shaped(`session.${kind}.started`, at)
    views[`session.next.${kind}.delta`] = shaped(`session.${kind}.delta`, (d) => ({ ...at(d), delta: d.delta }))
    views[`session.next.${kind}.ended`] = shaped(`session.${kind}.ended`, (d) => ({ ...at(d), text: d.text }))
  }
  return views
}

function toolViews(): Record<string, Render> {
  const call = (d: Data) => ({ assistantMessageID: d.assistantMessageID, id: d.callID })
  return {
    'session.next.tool.input.started': shaped('session.tool.input.started', (d) => ({ ...call(d), name: d.name })),
    'session.next.tool.input.ended': shaped('session.tool.input.ended', (d) => ({ ...call(d), text: d.text })),
    'session.next.tool.called': shaped('session.tool.called', (d) => ({
      ...call(d),
      name: d.tool,
      input: d.input,
      executed: false,
    })),
    'session.next.tool.success': shaped(
      'session.tool.success',
      (d) => ({ ...call(d), content: d.content, metadata: d.structured, executed: false }),
      { version: 2 },
    ),
    'session.next.tool.failed': shaped(
      'session.tool.failed',
      (d) => ({
        ...call(d),
        error: { type: 'tool.execution', message: (d.error as { message: string }).message },
        executed: false,
      }),
      { version: 2 },
    ),
  }
}

function sessionViews(): Record<string, Render> {
  return {
    'session.created': (d) => ({ type: 'session.created', data: createdView(d.info as SessionInfo) }),
    'session.deleted': (d) => ({
      type: 'session.deleted',
      data: { sessionID: d.sessionID },
      location: false,
      version: 2,
    }),
    'session.next.agent.switched': entryEvent(shaped('session.agent.selected', (d) => ({ agent: d.agent }))),
    'session.next.model.switched': entryEvent(shaped('session.model.selected', (d) => ({ model: d.model }))),
    'session.next.moved': shaped('session.moved', (d) => ({
      location: d.location,
      ...(d.subdirectory ? { subpath: d.subdirectory } : {}),
    })),
    'session.next.compaction.started': shaped('session.compaction.started', (d) => ({
      reason: d.reason,
      inputID: d.messageID,
    })),
    'session.next.compaction.ended': shaped('session.compaction.ended', (d) => ({
      reason: d.reason,
      summary: d.text,
    })),
    'session.next.revert.staged': shaped('session.revert.staged', (d) => ({ revert: d.revert })),
    'session.next.revert.cleared': shaped('session.revert.cleared', () => ({})),
    'session.next.revert.committed': shaped('session.revert.committed', (d) => ({ to: d.messageID })),
  }
}

function createdView(info: SessionInfo): Data {
  return {
    sessionID: info.id,
    slug: info.slug,
    version: info.version,
    projectID: info.projectID,
    location: { directory: info.directory },
    ...(info.parentID ? { parentID: info.parentID } : {}),
    ...(info.path ? { subpath: info.path } : {}),
    ...(info.title ? { title: info.title } : {}),
    ...(info.agent ? { agent: info.agent } : {}),
    ...(info.model ? { model: info.model } : {}),
  }
}

/** 2.1's own events stay off the v1 streams, which never had them. */
const only = { only: true }

/** Registers every session event's 2.1 view (once per process; registering again replaces them). */
export function registerSessionEventViews(events: TurnEvents): void {
  for (const type of HIDDEN) defineEventView(type, () => undefined)
  const views = { ...stepViews(), ...streamedViews(events), ...toolViews(), ...sessionViews() }
  for (const [type, render] of Object.entries(views)) defineEventView(type, render)
  for (const type of PLACELESS_21_EVENTS) {
    defineEventView(
      type,
      (data) => {
        const { timestamp: _timestamp, ...rest } = data
        return { type, data: rest, location: false }
      },
      only,
    )
  }
  for (const type of LOCATED_21_EVENTS) {
    defineEventView(
      type,
      (data) => {
        const { timestamp: _timestamp, ...rest } = data
        return { type, data: rest }
      },
      only,
    )
  }
}
