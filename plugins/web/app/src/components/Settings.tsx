import { useSignal } from '@preact/signals'
import { useEffect, useState } from 'preact/hooks'
import { call, type McpStatus, type Provider } from '../api'
import { api, directory, reportError } from '../state'

export function Settings() {
  const providers = useSignal<{ all: Provider[]; connected: string[] }>({ all: [], connected: [] })
  const mcp = useSignal<Record<string, McpStatus>>({})
  const [providerID, setProviderID] = useState('')
  const [key, setKey] = useState('')
  const load = () => {
    void call(api().provider.list()).then((list) => (providers.value = list), reportError)
    void call(api().mcp.status()).then((status) => (mcp.value = status), reportError)
  }
  useEffect(load, [directory.value])
  const connect = async (event: Event) => {
    event.preventDefault()
    if (!providerID.trim() || !key.trim()) return
    await call(api().auth.set({ providerID: providerID.trim(), auth: { type: 'api', key: key.trim() } }))
      .then(() => (setKey(''), load()))
      .catch(reportError)
  }
  const toggle = async (name: string, connected: boolean) => {
    await call(connected ? api().mcp.disconnect({ name }) : api().mcp.connect({ name })).catch(reportError)
    load()
  }
  return (
    <div class="settings">
      <h3>Providers</h3>
      <ul class="providers">
        {providers.value.all.map((provider) => (
          <li key={provider.id}>
            <span class={`dot ${providers.value.connected.includes(provider.id) ? 'completed' : 'pending'}`} />{' '}
            {provider.name} <span class="muted small">({provider.id})</span>
          </li>
        ))}
      </ul>
      <form class="connect" onSubmit={connect}>
        <input
          placeholder="provider id, e.g. anthropic"
          value={providerID}
          onInput={(e) => setProviderID(e.currentTarget.value)}
          aria-label="Provider id"
        />
        <input
          type="password"
          placeholder="API key"
          value={key}
          onInput={(e) => setKey(e.currentTarget.value)}
          aria-label="API key"
        />
        <button type="submit">Connect</button>
      </form>
      <h3>MCP servers</h3>
      <ul class="mcp">
        {Object.entries(mcp.value).map(([name, status]) => (
          <li key={name}>
            <span
              class={`dot ${status.status === 'connected' ? 'completed' : status.status === 'failed' ? 'error' : 'pending'}`}
            />{' '}
            {name} <span class="muted small">{status.status}</span>{' '}
            <button class="small" onClick={() => toggle(name, status.status === 'connected')}>
              {status.status === 'connected' ? 'Disconnect' : 'Connect'}
            </button>
          </li>
        ))}
        {Object.keys(mcp.value).length === 0 && <li class="muted small">No MCP servers configured.</li>}
      </ul>
    </div>
  )
}
