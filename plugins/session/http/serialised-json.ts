import type { FastifyReply } from 'fastify'

/**
 * Sends a body the store keeps as JSON text, without parsing and serialising it again. The
 * typed reply wants the schema's value; this is that value already serialised, so the reply is
 * taken untyped here, in this one place.
 */
export function sendSerialised(reply: FastifyReply, json: Buffer | string): FastifyReply {
  return reply.send(json)
}
