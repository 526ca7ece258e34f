import { LocationEnvelope, LocationQuery, locationEnvelope, ref, v2Errors, type PluginApp } from '../../../sdk/index.js'
import { Type } from 'typebox'
import type { Integrations } from '../integrations.js'
import {
  AttemptParams,
  CompleteInput,
  ConnectKeyInput,
  ConnectOAuthInput,
  CredentialNotFoundErrorBody,
  CredentialParams,
  CredentialUpdateInput,
  IntegrationAttempt,
  IntegrationAttemptNotFoundErrorBody,
  IntegrationAttemptStatus,
  IntegrationInfo,
  IntegrationNotFoundErrorBody,
  IntegrationParams,
} from '../schemas.js'

const tags = ['integrations']
const config = { v2: true, location: true }
const querystring = Type.Object(LocationQuery)
const noContent = Type.Null()
const integrationNotFound = v2Errors({ 404: ref(IntegrationNotFoundErrorBody) })
const attemptNotFound = v2Errors({ 404: ref(IntegrationAttemptNotFoundErrorBody) })

/**
 * `/api/integration…` and `/api/credential…`: connecting providers from v2 clients, over the same
 * catalogue, `ProviderOAuth` methods and auth.json as v1 (`PUT /auth/:id`, `…/oauth/authorize`).
 */
export function registerIntegrationV2Routes(app: PluginApp, integrations: Integrations): void {
  registerIntegrationRoutes(app, integrations)
  registerConnectRoutes(app, integrations)
  registerAttemptRoutes(app, integrations)
  registerCredentialRoutes(app, integrations)
}

/** The integrations and one of them. */
function registerIntegrationRoutes(app: PluginApp, integrations: Integrations): void {
  app.get(
    '/api/integration',
    {
      config,
      schema: {
        operationId: 'v2.integration.list',
        tags,
        summary: 'List integrations',
        description:
          'Every provider the catalogue, config or a login plugin knows: how it can be connected and what connects it now (never a secret).',
        querystring,
        response: { 200: LocationEnvelope(Type.Array(ref(IntegrationInfo))), ...v2Errors() },
      },
    },
    async (request) => locationEnvelope(request, await integrations.list(request.instance)),
  )

  app.get(
    '/api/integration/:integrationID',
    {
      config,
      schema: {
        operationId: 'v2.integration.get',
        tags,
        summary: 'Get integration',
        description: 'One integration; unknown → 404 `IntegrationNotFoundError` (OpenCode: 200 with `data: null`).',
        querystring,
        params: IntegrationParams,
        response: { 200: LocationEnvelope(ref(IntegrationInfo)), ...integrationNotFound },
      },
    },
    async (request) => {
      const { integrationID } = request.params
      return locationEnvelope(request, await integrations.get(request.instance, integrationID))
    },
  )
}

/** Connecting an integration with a key, or by starting an OAuth login. */
function registerConnectRoutes(app: PluginApp, integrations: Integrations): void {
  app.post(
    '/api/integration/:integrationID/connect/key',
    {
      config,
      schema: {
        operationId: 'v2.integration.connect.key',
        tags,
        summary: 'Connect with key',
        description:
          "Stores the key as the integration's credential (replacing one stored before), as v1 `PUT /auth/:id` does; sessions use it at once.",
        querystring,
        params: IntegrationParams,
        body: ConnectKeyInput,
        response: { 204: noContent, ...integrationNotFound },
      },
    },
    async (request, reply) => {
      const { integrationID } = request.params
      const { key, label } = request.body
      await integrations.connectKey(request.instance, integrationID, key, label)
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/api/integration/:integrationID/connect/oauth',
    {
      config,
      schema: {
        operationId: 'v2.integration.connect.oauth',
        tags,
        summary: 'Begin OAuth connection',
        description:
          'Starts a login with one of the integration\'s OAuth methods; the attempt expires after 10 minutes. Unknown method → 400, a login the plugin refuses → 400 `kind: "integration_authorization"`.',
        querystring,
        params: IntegrationParams,
        body: ConnectOAuthInput,
        response: { 200: LocationEnvelope(ref(IntegrationAttempt)), ...integrationNotFound },
      },
    },
    async (request) => {
      const { integrationID } = request.params
      const { methodID, inputs, label } = request.body
      return locationEnvelope(
        request,
        await integrations.startOAuth(request.instance, integrationID, methodID, inputs, label),
      )
    },
  )
}

/** An OAuth attempt: its status, cancelling it, completing it. */
function registerAttemptRoutes(app: PluginApp, integrations: Integrations): void {
  app.get(
    '/api/integration/attempt/:attemptID',
    {
      config,
      schema: {
        operationId: 'v2.integration.attempt.status',
        tags,
        summary: 'Get OAuth attempt status',
        description:
          '`pending`, `complete`, `failed` (with `message`) or `expired`; unknown → 404 `IntegrationAttemptNotFoundError` (OpenCode: 500).',
        querystring,
        params: AttemptParams,
        response: { 200: LocationEnvelope(ref(IntegrationAttemptStatus)), ...attemptNotFound },
      },
    },
    async (request) => locationEnvelope(request, integrations.status(request.params.attemptID)),
  )

  app.delete(
    '/api/integration/attempt/:attemptID',
    {
      config,
      schema: {
        operationId: 'v2.integration.attempt.cancel',
        tags,
        summary: 'Cancel OAuth connection',
        description:
          'Forgets the attempt (a result arriving later is dropped); 204 whether or not it existed, as OpenCode.',
        querystring,
        params: AttemptParams,
        response: { 204: noContent, ...v2Errors() },
      },
    },
    async (request, reply) => {
      integrations.cancel(request.params.attemptID)
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/api/integration/attempt/:attemptID/complete',
    {
      config,
      schema: {
        operationId: 'v2.integration.attempt.complete',
        tags,
        summary: 'Complete OAuth connection',
        description:
          'A `code` attempt exchanges `code`; an `auto` one is awaited. 204 once the credential is stored; a refused code, a failed or expired attempt → 400, unknown → 404.',
        querystring,
        params: AttemptParams,
        body: CompleteInput,
        response: { 204: noContent, ...attemptNotFound },
      },
      // The official client sends no body at all when there is no `code`.
      preValidation: async (request) => {
        request.body ??= {}
      },
    },
    async (request, reply) => {
      const { attemptID } = request.params
      const { code } = request.body
      await integrations.complete(attemptID, code)
      return reply.status(204).send(null)
    },
  )
}

/** Renaming and forgetting stored credentials. */
function registerCredentialRoutes(app: PluginApp, integrations: Integrations): void {
  app.patch(
    '/api/credential/:credentialID',
    {
      config,
      schema: {
        operationId: 'v2.credential.update',
        tags,
        summary: 'Update credential',
        description: 'Renames a stored credential; unknown → 404 `CredentialNotFoundError` (OpenCode: 204).',
        querystring,
        params: CredentialParams,
        body: CredentialUpdateInput,
        response: { 204: noContent, ...v2Errors({ 404: ref(CredentialNotFoundErrorBody) }) },
      },
    },
    async (request, reply) => {
      const { credentialID } = request.params
      integrations.relabel(request.instance, credentialID, request.body.label)
      return reply.status(204).send(null)
    },
  )

  app.delete(
    '/api/credential/:credentialID',
    {
      config,
      schema: {
        operationId: 'v2.credential.remove',
        tags,
        summary: 'Remove credential',
        description:
          'Forgets a stored credential (as v1 `DELETE /auth/:id`); 204 whether or not it existed, as OpenCode.',
        querystring,
        params: CredentialParams,
        response: { 204: noContent, ...v2Errors() },
      },
    },
    async (request, reply) => {
      integrations.remove(request.instance, request.params.credentialID)
      return reply.status(204).send(null)
    },
  )
}
