import {
  LocationQuery,
  ServiceUnavailableErrorBody,
  StringEnum,
  ref,
  v2Errors,
  type PluginApp,
} from '../../../sdk/index.js'
import { Type } from 'typebox'
import { generateText } from '../generate.js'
import type { Providers } from '../service.js'
import { voiceSession } from '../voice.js'
import { WEBSEARCH_PROVIDERS, type WebSearch } from '../websearch.js'
import { Located, located, locationRoute } from './v21-envelope.js'

const querystring = Type.Object(LocationQuery)
const closed = { additionalProperties: false } as const
const unavailable = { 503: ref(ServiceUnavailableErrorBody) }

/** What the web search, generation and voice routes work with. */
export interface ServiceRouteDeps {
  providers: Providers
  websearch: WebSearch
  /** The active stored key of an integration, if any. */
  storedKey(integrationID: string): string | undefined
  env: NodeJS.ProcessEnv
}

const WebSearchResult = Type.Object(
  {
    url: Type.String(),
    title: Type.Optional(Type.String()),
    content: Type.Optional(Type.String()),
    time: Type.Object({ published: Type.Optional(Type.Number()) }, closed),
  },
  closed,
)

/** `/api/websearch…`, `/api/experimental/generate`, `/api/experimental/voice/session`. */
export function registerServiceV21Routes(app: PluginApp, deps: ServiceRouteDeps): void {
  registerWebSearchRoutes(app, deps)
  registerGenerateRoute(app, deps)
  registerVoiceRoute(app, deps)
}

function registerWebSearchRoutes(app: PluginApp, { websearch }: ServiceRouteDeps): void {
  app.get(
    '/api/websearch/provider',
    {
      config: locationRoute,
      schema: {
        operationId: 'websearch.providers',
        tags: ['websearch'],
        summary: 'List web search providers',
        querystring,
        response: {
          200: Located(Type.Array(Type.Object({ id: Type.String(), name: Type.String() }, closed))),
          ...v2Errors(),
        },
      },
    },
    async (request) =>
      located(
        request,
        WEBSEARCH_PROVIDERS.map(({ id, name }) => ({ id, name })),
      ),
  )

  app.post(
    '/api/websearch',
    {
      config: locationRoute,
      schema: {
        operationId: 'websearch.query',
        tags: ['websearch'],
        summary: 'Search the web',
        description:
          'With `providerID`, else config `websearch.provider` (`"random"`: any provider with a key). None → 400 `kind: "websearch_provider_required"`; unknown → `websearch_provider_not_found`; no key → `websearch_credential_required`; the service failing or unreachable → 503 naming it.',
        querystring,
        body: Type.Object({
          query: Type.String({ minLength: 1, maxLength: 2000 }),
          providerID: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        }),
        response: {
          200: Located(Type.Object({ providerID: Type.String(), results: Type.Array(WebSearchResult) }, closed)),
          ...v2Errors(unavailable),
        },
      },
    },
    async (request) => {
      const { query, providerID } = request.body
      return located(request, await websearch.query(request.instance, query, providerID))
    },
  )
}

const ModelRef = Type.Object({
  providerID: Type.String({ minLength: 1, maxLength: 200 }),
  id: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  model: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: "The config's spelling of `id`" })),
  variant: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
})

function registerGenerateRoute(app: PluginApp, { providers }: ServiceRouteDeps): void {
  app.post(
    '/api/experimental/generate',
    {
      config: { v2: true },
      schema: {
        operationId: 'experimental.generate.text',
        tags: ['generate'],
        summary: 'Generate text',
        description:
          'One prompt, one answer, nothing stored. The model is `model` (`{providerID, id, variant?}`), else the default of the request\'s directory (`x-opencode-directory`; OpenCode 2.1.2 reads only the global config). No model → 400 `kind: "model_required"`; an unknown one → 400 `Model unavailable`; the provider failing → 503.',
        body: Type.Object({
          prompt: Type.String({ minLength: 1, maxLength: 1_000_000 }),
          model: Type.Optional(Type.Union([ModelRef, Type.Null()])),
        }),
        response: {
          200: Type.Object({ data: Type.Object({ text: Type.String() }, closed) }, closed),
          ...v2Errors(unavailable),
        },
      },
    },
    async (request) => ({ data: await generateText(providers, request.instance, request.body) }),
  )
}

const VoiceTransportInput = Type.Union([
  Type.Object({ type: Type.Literal('webrtc'), sdp: Type.String({ minLength: 1, maxLength: 100_000 }) }),
  Type.Object({ type: Type.Literal('websocket') }),
])

function registerVoiceRoute(app: PluginApp, { providers, storedKey, env }: ServiceRouteDeps): void {
  app.post(
    '/api/experimental/voice/session',
    {
      config: { v2: true },
      schema: {
        operationId: 'experimental.voice.session',
        tags: ['voice'],
        summary: 'Create a voice session',
        description:
          'Brokers an OpenAI Realtime session with the server\'s OpenAI key (stored for the `openai` integration, or `OPENAI_API_KEY`; base URL from config `provider.openai.options.baseURL`): a short-lived token for `websocket`, the SDP answer for `webrtc`. No key → 503 `service: "openai"` at once; OpenAI failing or unreachable → 503 too.',
        body: Type.Object({
          model: Type.String({ minLength: 1, maxLength: 200 }),
          session: Type.Optional(Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()])),
          transport: VoiceTransportInput,
        }),
        response: {
          200: Type.Object(
            {
              data: Type.Object(
                {
                  transport: Type.Union([
                    Type.Object({ type: Type.Literal('webrtc'), sdp: Type.String() }, closed),
                    Type.Object(
                      {
                        type: StringEnum(['websocket']),
                        url: Type.String(),
                        token: Type.String(),
                        expiresAt: Type.Number(),
                      },
                      closed,
                    ),
                  ]),
                },
                closed,
              ),
            },
            closed,
          ),
          ...v2Errors(unavailable),
        },
      },
    },
    async (request) => {
      const runtime = providers.resolve(request.instance).runtime.get('openai')
      const transport = await voiceSession(request.body, {
        apiKey: storedKey('openai') ?? (env.OPENAI_API_KEY || undefined),
        baseURL: runtime?.baseURL,
      })
      return { data: { transport } }
    },
  )
}
