import { LocationEnvelope, LocationQuery, locationEnvelope, ref, v2Errors, type PluginApp } from '../../../sdk/index.js'
import { Type } from 'typebox'
import type { CommandAttempts } from '../command-attempts.js'
import type { OAuthAttempts } from '../oauth-attempts.js'
import {
  AttemptParams,
  CommandAttemptStatus,
  CompleteInput,
  IntegrationAttemptNotFoundErrorBody,
  IntegrationAttemptParams,
  IntegrationAttemptStatus,
} from '../integration-schemas.js'
import { Located, located, locationRoute as config } from './v21-envelope.js'

const tags = ['integration']
const querystring = Type.Object(LocationQuery)
const noContent = Type.Null()
const attemptNotFound = v2Errors({ 404: ref(IntegrationAttemptNotFoundErrorBody) })
// The official clients send no body at all when there is no `code`.
const emptyBodyIsObject = async (request: { body: unknown }) => {
  request.body ??= {}
}

/** An attempt under way: its status, cancelling it, completing a code login. */
export function registerAttemptV21Routes(
  app: PluginApp,
  { oauth, commands }: { oauth: OAuthAttempts; commands: CommandAttempts },
): void {
  registerOAuthAttemptRoutes(app, oauth)
  registerCommandAttemptRoutes(app, commands)
  registerLegacyAttemptRoutes(app, oauth)
}

function registerOAuthAttemptRoutes(app: PluginApp, oauth: OAuthAttempts): void {
  const url = '/api/integration/:integrationID/connect/oauth/:attemptID'
  app.get(
    url,
    {
      config,
      schema: {
        operationId: 'integration.oauth.status',
        tags,
        summary: 'Get OAuth attempt status',
        description:
          "`pending`, `complete`, `failed` (with `message`) or `expired`; unknown, or another integration's → 404 `IntegrationAttemptNotFoundError`.",
        querystring,
        params: IntegrationAttemptParams,
        response: { 200: Located(ref(IntegrationAttemptStatus)), ...attemptNotFound },
      },
    },
    async (request) => {
      const { attemptID, integrationID } = request.params
      return located(request, oauth.status(attemptID, integrationID))
    },
  )

  app.delete(
    url,
    {
      config,
      schema: {
        operationId: 'integration.oauth.cancel',
        tags,
        summary: 'Cancel OAuth connection',
        description:
          'Forgets the attempt (a result arriving later is dropped); 204 whether or not it existed, as OpenCode.',
        querystring,
        params: IntegrationAttemptParams,
        response: { 204: noContent, ...v2Errors() },
      },
    },
    async (request, reply) => {
      oauth.cancel(request.params.attemptID, request.params.integrationID)
      return reply.status(204).send(null)
    },
  )

  app.post(
    `${url}/complete`,
    {
      config,
      schema: {
        operationId: 'integration.oauth.complete',
        tags,
        summary: 'Complete OAuth connection',
        description:
          'Exchanges the `code` of a `code` attempt; 204 once the credential is stored. An `auto` attempt finishes on its own → 400 (OpenCode: 500); no code, a refused code, a failed or expired attempt → 400; unknown → 404.',
        querystring,
        params: IntegrationAttemptParams,
        body: CompleteInput,
        response: { 204: noContent, ...attemptNotFound },
      },
      preValidation: emptyBodyIsObject,
    },
    async (request, reply) => {
      const { attemptID, integrationID } = request.params
      await oauth.complete(attemptID, request.body.code ?? undefined, { integrationID, awaitAuto: false })
      return reply.status(204).send(null)
    },
  )
}

function registerCommandAttemptRoutes(app: PluginApp, commands: CommandAttempts): void {
  const url = '/api/integration/:integrationID/connect/command/:attemptID'
  app.get(
    url,
    {
      config,
      schema: {
        operationId: 'integration.command.status',
        tags,
        summary: 'Get command attempt status',
        description:
          "`pending` (with the command's last line of standard error as `message`), `complete`, `failed` or `expired`; unknown → 404.",
        querystring,
        params: IntegrationAttemptParams,
        response: { 200: Located(ref(CommandAttemptStatus)), ...attemptNotFound },
      },
    },
    async (request) => {
      const { attemptID, integrationID } = request.params
      return located(request, commands.status(attemptID, integrationID))
    },
  )

  app.delete(
    url,
    {
      config,
      schema: {
        operationId: 'integration.command.cancel',
        tags,
        summary: 'Cancel command connection',
        description:
          'Stops a pending login command and forgets it (a finished attempt stays readable); 204 whether or not it existed, as OpenCode.',
        querystring,
        params: IntegrationAttemptParams,
        response: { 204: noContent, ...v2Errors() },
      },
    },
    async (request, reply) => {
      commands.cancel(request.params.attemptID, request.params.integrationID)
      return reply.status(204).send(null)
    },
  )
}

/** OpenCode 1.18's attempt paths (no integration in them), kept for 1.x clients. */
function registerLegacyAttemptRoutes(app: PluginApp, oauth: OAuthAttempts): void {
  const url = '/api/integration/attempt/:attemptID'
  app.get(
    url,
    {
      config,
      schema: {
        operationId: 'v2.integration.attempt.status',
        tags,
        summary: 'Get OAuth attempt status (OpenCode 1.18)',
        querystring,
        params: AttemptParams,
        response: { 200: LocationEnvelope(ref(IntegrationAttemptStatus)), ...attemptNotFound },
      },
    },
    async (request) => locationEnvelope(request, oauth.status(request.params.attemptID)),
  )

  app.delete(
    url,
    {
      config,
      schema: {
        operationId: 'v2.integration.attempt.cancel',
        tags,
        summary: 'Cancel OAuth connection (OpenCode 1.18)',
        querystring,
        params: AttemptParams,
        response: { 204: noContent, ...v2Errors() },
      },
    },
    async (request, reply) => {
      oauth.cancel(request.params.attemptID)
      return reply.status(204).send(null)
    },
  )

  app.post(
    `${url}/complete`,
    {
      config,
      schema: {
        operationId: 'v2.integration.attempt.complete',
        tags,
        summary: 'Complete OAuth connection (OpenCode 1.18)',
        description: "As 2.1's, except that an `auto` attempt is awaited (as 1.18 did).",
        querystring,
        params: AttemptParams,
        body: CompleteInput,
        response: { 204: noContent, ...attemptNotFound },
      },
      preValidation: emptyBodyIsObject,
    },
    async (request, reply) => {
      await oauth.complete(request.params.attemptID, request.body.code ?? undefined, { awaitAuto: true })
      return reply.status(204).send(null)
    },
  )
}
