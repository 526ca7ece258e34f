import { useState } from 'preact/hooks'
import { login } from '../api'

export function Login({ onDone }: { onDone: () => void }) {
  const [password, setPassword] = useState('')
  const [error, setError] = useState('')
  const [busy, setBusy] = useState(false)
  const submit = async (event: Event) => {
    event.preventDefault()
    setBusy(true)
    setError('')
    try {
      await login(password)
      onDone()
    } catch (failure) {
      setError((failure as Error).message)
    } finally {
      setBusy(false)
    }
  }
  return (
    <form class="login" onSubmit={submit}>
      <h1>OpenCode</h1>
      <p>This server needs its password.</p>
      <input
        type="password"
        name="password"
        autoComplete="current-password"
        placeholder="Password"
        value={password}
        onInput={(e) => setPassword(e.currentTarget.value)}
        autoFocus
      />
      <button type="submit" disabled={busy || !password}>
        {busy ? 'Signing in…' : 'Sign in'}
      </button>
      {error && (
        <p class="login-error" role="alert">
          {error}
        </p>
      )}
    </form>
  )
}
