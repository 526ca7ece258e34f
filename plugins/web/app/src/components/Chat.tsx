import { useComputed } from '@preact/signals'
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks'
import { call } from '../api'
import {
  api,
  hasOlder,
  loadMessages,
  messageIds,
  messageSignal,
  partIdsSignal,
  partSignal,
  reportError,
  sessionID,
  sessions,
  statuses,
} from '../state'
import { PartView } from './Parts'
import { Requests } from './Requests'

function PartSlot({ id }: { id: string }) {
  const part = partSignal(id)?.value
  return part ? <PartView part={part} /> : null
}

function MessageView({ id, queued, reverted }: { id: string; queued: boolean; reverted: boolean }) {
  const info = messageSignal(id)?.value
  const partIds = partIdsSignal(id).value
  if (!info) return null
  const revert = async () => {
    const current = sessionID.value
    if (current) await call(api().session.revert({ sessionID: current, messageID: id })).catch(reportError)
  }
  return (
    <article class={`message ${info.role} ${reverted ? 'reverted' : ''}`} data-message-id={id} data-role={info.role}>
      <header class="message-head">
        <span class="role">
          {info.role === 'user' ? 'You' : info.role === 'assistant' ? `${info.agent} · ${info.modelID}` : ''}
        </span>
        {queued && <span class="badge queued">queued</span>}
        {info.role === 'user' && !reverted && (
          <button class="link small" title="Undo this message and everything after it, files included" onClick={revert}>
            Revert to here
          </button>
        )}
      </header>
      {partIds.map((partID) => (
        <PartSlot key={partID} id={partID} />
      ))}
      {info.role === 'assistant' && info.error && info.error.name !== 'MessageAbortedError' && (
        <div class="message-error" role="alert">
          {info.error.name}: {(info.error.data as { message?: string } | undefined)?.message ?? ''}
        </div>
      )}
      {info.role === 'assistant' && info.error?.name === 'MessageAbortedError' && (
        <div class="message-aborted">Aborted</div>
      )}
    </article>
  )
}

/** The open session: messages (paged in as you scroll up), pending requests, revert banner. */
export function Chat() {
  const ids = messageIds.value
  const id = sessionID.value
  const session = sessions.value.find((entry) => entry.id === id)
  const busy = id ? statuses.value[id]?.type === 'busy' || statuses.value[id]?.type === 'retry' : false
  const scroller = useRef<HTMLDivElement>(null)
  const stick = useRef(true)
  const lastTop = useRef(0)
  const [loadingOlder, setLoadingOlder] = useState(false)

  // Which user messages wait behind the running one.
  const queued = useComputed(() => {
    const list = messageIds.value.map((messageID) => messageSignal(messageID)?.value)
    const answered = new Set<string>()
    let running: string | undefined
    for (const info of list)
      if (info?.role === 'assistant') {
        answered.add(info.parentID)
        running = info.parentID
      }
    const result = new Set<string>()
    for (const info of list)
      if (info?.role === 'user' && !answered.has(info.id) && running !== undefined && info.id > running)
        result.add(info.id)
    return result
  }).value

  useLayoutEffect(() => {
    const element = scroller.current
    if (element && stick.current) element.scrollTop = element.scrollHeight
  })
  useEffect(() => {
    stick.current = true
  }, [id])

  const onScroll = async () => {
    const element = scroller.current
    if (!element) return
    stick.current = element.scrollHeight - element.scrollTop - element.clientHeight < 40
    // Only a reader scrolling up pages older messages in (not the jump to the bottom on open).
    const up = element.scrollTop < lastTop.current
    lastTop.current = element.scrollTop
    if (up && element.scrollTop < 200 && hasOlder.value && !loadingOlder) {
      setLoadingOlder(true)
      const height = element.scrollHeight
      await loadMessages(true).catch(reportError)
      // Keep the reader's place while older messages appear above.
      requestAnimationFrame(() => (element.scrollTop += element.scrollHeight - height))
      setLoadingOlder(false)
    }
  }

  if (!id) return <div class="empty">Pick a session or start a new one.</div>
  const revertID = session?.revert?.messageID
  const unrevert = () => call(api().session.unrevert({ sessionID: id })).catch(reportError)
  return (
    <div class="chat" ref={scroller} onScroll={onScroll}>
      {hasOlder.value && <div class="older">{loadingOlder ? 'Loading…' : 'Scroll up for older messages'}</div>}
      {ids.map((messageID) => (
        <MessageView
          key={messageID}
          id={messageID}
          queued={busy && queued.has(messageID)}
          reverted={revertID !== undefined && messageID >= revertID}
        />
      ))}
      {revertID && (
        <div class="revert-banner">
          Messages from here on are reverted; the next prompt drops them. <button onClick={unrevert}>Unrevert</button>
        </div>
      )}
      <Requests sessionID={id} />
      {busy && (
        <div class="working" aria-live="polite">
          Working…
        </div>
      )}
    </div>
  )
}
