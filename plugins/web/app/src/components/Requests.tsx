import { useState } from 'preact/hooks'
import { call } from '../api'
import { api, permissions, questions, reportError } from '../state'

/** Permission requests and questions of a session, answered inline. */
export function Requests({ sessionID }: { sessionID: string }) {
  const perms = permissions.value.filter((entry) => entry.sessionID === sessionID)
  const qs = questions.value.filter((entry) => entry.sessionID === sessionID)
  return (
    <>
      {perms.map((request) => (
        <PermissionCard key={request.id} request={request} />
      ))}
      {qs.map((request) => (
        <QuestionCard key={request.id} request={request} />
      ))}
    </>
  )
}

function PermissionCard({ request }: { request: (typeof permissions.value)[number] }) {
  const [message, setMessage] = useState('')
  const [sending, setSending] = useState(false)
  const reply = async (answer: 'once' | 'always' | 'reject') => {
    setSending(true)
    await call(
      api().permission.reply({
        requestID: request.id,
        reply: answer,
        ...(message.trim() ? { message: message.trim() } : {}),
      }),
    ).catch(reportError)
    setSending(false)
  }
  return (
    <div class="request permission" role="alertdialog" aria-label="Permission request">
      <div class="request-title">
        Allow <strong>{request.permission}</strong>?
      </div>
      <ul class="patterns">
        {request.patterns.map((pattern) => (
          <li key={pattern}>
            <code>{pattern}</code>
          </li>
        ))}
      </ul>
      <input
        class="request-message"
        placeholder="Message for the model (optional, with Reject)"
        value={message}
        onInput={(e) => setMessage(e.currentTarget.value)}
      />
      <div class="buttons">
        <button disabled={sending} onClick={() => reply('once')}>
          Allow once
        </button>
        <button disabled={sending} onClick={() => reply('always')} title={request.always.join(', ')}>
          Always allow
        </button>
        <button disabled={sending} class="danger" onClick={() => reply('reject')}>
          Reject
        </button>
      </div>
    </div>
  )
}

function QuestionCard({ request }: { request: (typeof questions.value)[number] }) {
  const [answers, setAnswers] = useState<string[][]>(() => request.questions.map(() => []))
  const [custom, setCustom] = useState<string[]>(() => request.questions.map(() => ''))
  const toggle = (index: number, label: string, multiple: boolean) => {
    setAnswers(
      answers.map((selected, i) =>
        i !== index
          ? selected
          : multiple
            ? selected.includes(label)
              ? selected.filter((x) => x !== label)
              : [...selected, label]
            : [label],
      ),
    )
  }
  const submit = async () => {
    const final = answers.map((selected, i) => (custom[i]?.trim() ? [...selected, custom[i]!.trim()] : selected))
    await call(api().question.reply({ requestID: request.id, answers: final })).catch(reportError)
  }
  const dismiss = () => call(api().question.reject({ requestID: request.id })).catch(reportError)
  return (
    <div class="request question" role="alertdialog" aria-label="Question">
      {request.questions.map((question, index) => (
        <fieldset key={index}>
          <legend>{question.header}</legend>
          <p>{question.question}</p>
          {question.options.map((option) => (
            <label key={option.label} class="option">
              <input
                type={question.multiple ? 'checkbox' : 'radio'}
                name={`${request.id}-${index}`}
                checked={answers[index]?.includes(option.label)}
                onChange={() => toggle(index, option.label, !!question.multiple)}
              />
              {option.label}
              {option.description && <span class="muted"> — {option.description}</span>}
            </label>
          ))}
          {question.custom !== false && (
            <input
              placeholder="Your own answer"
              value={custom[index]}
              onInput={(e) => setCustom(custom.map((value, i) => (i === index ? e.currentTarget.value : value)))}
            />
          )}
        </fieldset>
      ))}
      <div class="buttons">
        <button onClick={submit}>Answer</button>
        <button class="danger" onClick={dismiss}>
          Dismiss
        </button>
      </div>
    </div>
  )
}
