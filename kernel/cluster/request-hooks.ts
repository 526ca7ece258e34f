import type { FastifyInstance } from 'fastify'
import { NamedError } from '../core/errors.js'
import type { Cluster } from './cluster.js'

const READS = new Set(['GET', 'HEAD', 'OPTIONS'])

function unavailable(message: string): NamedError {
  return new NamedError('DatabaseUnavailableError', 503, { message })
}

/**
 * What a cluster node adds to every request: while the database is unreachable, requests answer
 * 503 (the health check excepted, which says so); a read first applies what the other nodes
 * committed before it arrived; and a request that changes something answers
 * only once its writes and events are committed in PostgreSQL, so what a client was told is
 * stored survives this node, and once its events have reached this node's streams (the answer
 * never overtakes them).
 */
export function registerClusterHooks(app: FastifyInstance, cluster: Cluster): void {
  app.addHook('onRequest', async (request, reply) => {
    if (/^\/global\/(health|node)\b/.test(request.url) || request.method === 'OPTIONS') return
    if (!cluster.healthy) {
      reply.header('retry-after', '1')
      throw unavailable('The database is unreachable; the server resumes once it is back. Retry shortly.')
    }
    // Read-your-writes on any node: a write was committed before its answer, so applying what the
    // other nodes committed up to now shows it here (one cheap query, shared by concurrent reads).
    if (READS.has(request.method)) await cluster.replica.fresh().catch(() => {})
  })
  app.addHook('onSend', async (request, reply, payload) => {
    if (READS.has(request.method) || reply.statusCode >= 500) return payload
    try {
      await cluster.replica.flush()
      await cluster.feed.reached(cluster.replica.lastCommittedEvent)
    } catch {
      reply.header('retry-after', '1')
      throw unavailable(
        'The change could not be committed to the database (unreachable); it is kept on this server and written once the database is back.',
      )
    }
    return payload
  })
}
