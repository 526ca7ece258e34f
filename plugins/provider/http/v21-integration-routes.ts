import { LocationQuery, ref, v2Errors, type PluginApp } from '../../../sdk/index.js'
import { Type } from 'typebox'
import type { CommandAttempts } from '../command-attempts.js'
import type { Integrations } from '../integrations.js'
import type { OAuthAttempts } from '../oauth-attempts.js'
import {
  CommandAttempt,
  ConnectCommandInput,
  ConnectExternalInput,
  ConnectKeyInput,
  ConnectOAuthInput,
  IntegrationAttempt,
  IntegrationInfo,
  IntegrationMethodNotFoundErrorBody,
  IntegrationNotFoundErrorBody,
  IntegrationParams,
  WellKnownInput,
  answerInputs,
} from '../integration-schemas.js'
import type { WellKnownSources } from '../wellknown.js'
import { Located, located, locationRoute as config } from './v21-envelope.js'

const tags = ['integration']
const querystring = Type.Object(LocationQuery)
const noContent = Type.Null()
const integrationNotFound = v2Errors({ 404: ref(IntegrationNotFoundErrorBody) })

/** What the integration routes work with. */
export interface IntegrationRouteDeps {
  integrations: Integrations
  oauth: OAuthAttempts
  commands: CommandAttempts
  sources: WellKnownSources
}

/**
 * `/api/integration…`: connecting providers (and web search services, well-known sources) from
 * 2.1 clients, over the same catalogue, `ProviderOAuth` methods and auth.json as v1.
 */
export function registerIntegrationV21Routes(app: PluginApp, deps: IntegrationRouteDeps): void {
  registerListRoutes(app, deps)
  registerConnectRoutes(app, deps)
  registerLoginStartRoutes(app, deps)
}

function registerListRoutes(app: PluginApp, { integrations, sources }: IntegrationRouteDeps): void {
  app.get(
    '/api/integration',
    {
      config,
      schema: {
        operationId: 'integration.list',
        tags,
        summary: 'List integrations',
        description:
          'Every provider the catalogue, config or a login plugin knows, the web search services and the well-known sources: how each can be connected and what connects it now (never a secret).',
        querystring,
        response: { 200: Located(Type.Array(ref(IntegrationInfo))), ...v2Errors() },
      },
    },
    async (request) => located(request, await integrations.list(request.instance)),
  )

  app.get(
    '/api/integration/:integrationID',
    {
      config,
      schema: {
        operationId: 'integration.get',
        tags,
        summary: 'Get integration',
        description: 'One integration; unknown → 404 `IntegrationNotFoundError`.',
        querystring,
        params: IntegrationParams,
        response: { 200: Located(ref(IntegrationInfo)), ...integrationNotFound },
      },
    },
    async (request) => located(request, await integrations.get(request.instance, request.params.integrationID)),
  )

  app.post(
    '/api/experimental/integration/wellknown',
    {
      config,
      schema: {
        operationId: 'experimental.integration.wellknown.add',
        tags,
        summary: 'Add a well-known source',
        description:
          'Reads `<url>/.well-known/opencode` (10 s) and adds the integration it describes: id the URL, its `auth.command` as the `login` command method. Kept across restarts. A manifest that cannot be read or has no command → 400 `kind: "well_known_discovery"`.',
        querystring,
        body: WellKnownInput,
        response: { 204: noContent, ...v2Errors() },
      },
    },
    async (request, reply) => {
      await sources.add(request.instance, request.body.url)
      return reply.status(204).send(null)
    },
  )
}

/** Connecting with a key, or with an external method (none here). */
function registerConnectRoutes(app: PluginApp, { integrations }: IntegrationRouteDeps): void {
  app.post(
    '/api/integration/:integrationID/connect/key',
    {
      config,
      schema: {
        operationId: 'integration.connect.key',
        tags,
        summary: 'Connect with key',
        description:
          "Stores the key as a new credential and makes it the integration's active one (labelled with the integration's name unless `label`); sessions use it at once, v1 `GET /provider` shows it.",
        querystring,
        params: IntegrationParams,
        body: ConnectKeyInput,
        response: { 204: noContent, ...integrationNotFound },
      },
    },
    async (request, reply) => {
      const { key, label } = request.body
      await integrations.connectKey(request.instance, request.params.integrationID, key, label ?? undefined)
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/api/integration/:integrationID/connect/external',
    {
      config,
      schema: {
        operationId: 'integration.connect.external',
        tags,
        summary: 'Connect with an external credential',
        description:
          'No integration here has an external method (OpenCode 2.1 resolves AWS profiles and gcloud credentials itself): a known integration answers 400 `kind: "integration_authorization"`, an unknown one 404.',
        querystring,
        params: IntegrationParams,
        body: ConnectExternalInput,
        response: { 204: noContent, ...integrationNotFound },
      },
    },
    async (request) =>
      integrations.connectExternal(request.instance, request.params.integrationID, request.body.methodID),
  )
}

/** Starting an OAuth login or a login command. */
function registerLoginStartRoutes(app: PluginApp, { oauth, commands }: IntegrationRouteDeps): void {
  app.post(
    '/api/integration/:integrationID/connect/oauth',
    {
      config,
      schema: {
        operationId: 'integration.oauth.connect',
        tags,
        summary: 'Begin OAuth connection',
        description:
          "Starts a login with one of the integration's OAuth methods (`answer` holds its form's values; 1.18's `inputs` is read too); the attempt expires after 10 minutes. Unknown method → 400 (OpenCode: 500), a login the plugin refuses → 400 `kind: \"integration_authorization\"`.",
        querystring,
        params: IntegrationParams,
        body: ConnectOAuthInput,
        response: { 200: Located(ref(IntegrationAttempt)), ...integrationNotFound },
      },
    },
    async (request) => {
      const { methodID, answer, inputs, label } = request.body
      const values = { ...inputs, ...answerInputs(answer) }
      const { integrationID } = request.params
      return located(request, await oauth.start(request.instance, integrationID, methodID, values, label ?? undefined))
    },
  )

  app.post(
    '/api/integration/:integrationID/connect/command',
    {
      config,
      schema: {
        operationId: 'integration.command.connect',
        tags,
        summary: 'Begin command connection',
        description:
          "Runs a well-known source's `login` command (no shell, in the location's directory, at most 10 minutes); what it prints becomes the integration's active credential. An integration without that method → 404 `IntegrationMethodNotFoundError`.",
        querystring,
        params: IntegrationParams,
        body: ConnectCommandInput,
        response: {
          200: Located(ref(CommandAttempt)),
          ...v2Errors({
            404: Type.Union([ref(IntegrationNotFoundErrorBody), ref(IntegrationMethodNotFoundErrorBody)]),
          }),
        },
      },
    },
    async (request) => {
      const { methodID, label } = request.body
      const { integrationID } = request.params
      return located(request, await commands.start(request.instance, integrationID, methodID, label ?? undefined))
    },
  )
}
