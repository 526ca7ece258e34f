// Command logins (`/api/integration/{id}/connect/command`): a well-known source's login command
// runs in the location's directory; what it prints is stored as the integration's credential.
import type { ProviderKernel } from './index.js'
import { ascendingId, type Instance } from '../../sdk/index.js'
import { spawn, type ChildProcess } from 'node:child_process'
import type { Static } from 'typebox'
import { IntegrationAttemptNotFoundError, IntegrationMethodNotFoundError } from './errors.js'
import type { Integrations } from './integrations.js'
import { ATTEMPT_TTL_MS, MAX_ATTEMPTS } from './oauth-attempts.js'
import type { CommandAttemptStatus } from './integration-schemas.js'
import type { WellKnownSources } from './wellknown.js'

/** Standard output kept at most (the token); standard error only for its last line. */
const MAX_OUTPUT_BYTES = 64 * 1024

interface Attempt {
  id: string
  integrationID: string
  status: 'pending' | 'complete' | 'failed' | 'expired'
  message?: string
  created: number
  expires: number
  child?: ChildProcess
}

const lastLine = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .at(-1)

export class CommandAttempts {
  private readonly attempts = new Map<string, Attempt>()

  constructor(
    private readonly kernel: Pick<ProviderKernel, 'env' | 'processes'>,
    private readonly integrations: Pick<Integrations, 'get' | 'create'>,
    private readonly sources: Pick<WellKnownSources, 'get'>,
    private readonly limits = { ttlMs: ATTEMPT_TTL_MS, max: MAX_ATTEMPTS },
  ) {}

  /** Runs the integration's login command; an integration without that method is a 404. */
  async start(
    instance: Instance,
    integrationID: string,
    methodID: string,
    label: string | undefined,
  ): Promise<{ attemptID: string; time: { created: number; expires: number } }> {
    const integration = await this.integrations.get(instance, integrationID)
    const source = this.sources.get(integrationID)
    if (!source || methodID !== 'login') throw new IntegrationMethodNotFoundError(integrationID, methodID)
    const now = Date.now()
    const attempt: Attempt = {
      id: ascendingId('con'),
      integrationID,
      status: 'pending',
      created: now,
      expires: now + this.limits.ttlMs,
    }
    this.remember(attempt)
    this.run(attempt, instance, source.command, label ?? integration.name)
    return { attemptID: attempt.id, time: { created: attempt.created, expires: attempt.expires } }
  }

  private remember(attempt: Attempt): void {
    for (const [id, old] of this.attempts) {
      if (old.status !== 'pending' && old.expires + this.limits.ttlMs < attempt.created) this.attempts.delete(id)
    }
    while (this.attempts.size >= this.limits.max) {
      const [oldest] = this.attempts.values()
      oldest!.child?.kill('SIGKILL')
      this.attempts.delete(oldest!.id)
    }
    this.attempts.set(attempt.id, attempt)
  }

  private run(attempt: Attempt, instance: Instance, command: string[], label: string): void {
    const [file, ...args] = command
    const child = spawn(file!, args, {
      cwd: instance.directory,
      env: this.kernel.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    })
    attempt.child = child
    const untrack = this.kernel.processes.track(child, {
      label: `login ${attempt.integrationID}`,
      group: true,
      instance,
    })
    let stdout = ''
    let stderr = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      if (stdout.length < MAX_OUTPUT_BYTES) stdout += chunk.toString('utf8')
    })
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4096)
      const line = lastLine(stderr)
      if (attempt.status === 'pending' && line) attempt.message = line
    })
    const timer = setTimeout(() => {
      if (attempt.status !== 'pending') return
      Object.assign(attempt, { status: 'expired', message: undefined })
      kill(child)
    }, this.limits.ttlMs).unref()
    const settle = (code: number | null, error?: Error) => {
      clearTimeout(timer)
      untrack()
      attempt.child = undefined
      // Cancelled or expired meanwhile: nothing is stored.
      if (attempt.status !== 'pending' || this.attempts.get(attempt.id) !== attempt) return
      const token = stdout.trim()
      if (error || code !== 0 || !token) {
        const reason = error?.message ?? lastLine(stderr) ?? (token ? `exit code ${code}` : 'it printed no credential')
        Object.assign(attempt, { status: 'failed', message: `The login command failed: ${reason}` })
        return
      }
      Object.assign(attempt, { status: 'complete', message: undefined })
      this.integrations.create(instance, {
        integrationID: attempt.integrationID,
        label,
        value: { type: 'key', key: token },
      })
    }
    child.on('error', (error) => settle(null, error))
    child.on('close', (code) => settle(code))
  }

  private find(attemptID: string, integrationID: string): Attempt {
    const attempt = this.attempts.get(attemptID)
    if (!attempt || attempt.integrationID !== integrationID)
      throw new IntegrationAttemptNotFoundError(attemptID, integrationID, 'Command')
    return attempt
  }

  status(attemptID: string, integrationID: string): Static<typeof CommandAttemptStatus> {
    const attempt = this.find(attemptID, integrationID)
    const time = { created: attempt.created, expires: attempt.expires }
    if (attempt.status === 'failed') return { status: 'failed', message: attempt.message ?? 'The login failed', time }
    if (attempt.status === 'pending' && attempt.message) return { status: 'pending', message: attempt.message, time }
    return { status: attempt.status, time }
  }

  /** Stops a pending login and forgets it; a finished one stays readable. Unknown ids are fine (as OpenCode). */
  cancel(attemptID: string, integrationID: string): void {
    const attempt = this.attempts.get(attemptID)
    if (!attempt || attempt.integrationID !== integrationID || attempt.status !== 'pending') return
    this.attempts.delete(attemptID)
    if (attempt.child) kill(attempt.child)
  }
}

/** Ends the command and whatever it started (it leads its own process group). */
function kill(child: ChildProcess): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM')
  } catch {
    // Already gone.
  }
}
