import { ConflictErrorBody, DataEnvelope, ref, v2Errors, type PluginApp } from '../../../sdk/index.js'
import { Type } from 'typebox'
import { maskValue, type CredentialEntry } from '../credentials.js'
import type { Integrations } from '../integrations.js'
import {
  CredentialCreateInput,
  CredentialEntrySchema,
  CredentialNotFoundErrorBody,
  CredentialParams,
  CredentialUpdateInput,
} from '../integration-schemas.js'

const tags = ['credential']
// Credentials belong to the server, not to a location (as OpenCode: no `location` here).
const config = { v2: true }
const noContent = Type.Null()
const credentialNotFound = v2Errors({ 404: ref(CredentialNotFoundErrorBody) })

/** An entry as clients see it: secrets masked (OpenCode 2.1.2 answers them in clear). */
const shown = (entry: CredentialEntry): CredentialEntry => ({ ...entry, value: maskValue(entry.value) })

/** `/api/credential…`: the stored credentials, several per integration, one of them active. */
export function registerCredentialV21Routes(app: PluginApp, integrations: Integrations): void {
  app.get(
    '/api/credential',
    {
      config,
      schema: {
        operationId: 'credential.list',
        tags,
        summary: 'List credentials',
        description:
          "Every stored credential, each integration's active one first. Secrets are masked (`****` and the last four characters of a long one): OpenCode 2.1.2 answers them in clear.",
        response: { 200: DataEnvelope(Type.Array(ref(CredentialEntrySchema))), ...v2Errors() },
      },
    },
    async () => ({ data: integrations.book.list().map(shown) }),
  )

  app.post(
    '/api/credential',
    {
      config,
      schema: {
        operationId: 'credential.create',
        tags,
        summary: 'Create credential',
        description:
          "Stores a credential (label `default` unless given); it becomes the integration's active one unless `activate` is false and the integration has one. Ids are `cred_…`; a taken id → 409 `ConflictError`. The answer masks the secret.",
        body: CredentialCreateInput,
        response: {
          200: DataEnvelope(ref(CredentialEntrySchema)),
          ...v2Errors({ 409: ref(ConflictErrorBody) }),
        },
      },
    },
    async (request) => ({ data: shown(integrations.create(request.instance, request.body)) }),
  )

  registerCredentialChangeRoutes(app, integrations)
}

/** Renaming, removing and activating one credential. */
function registerCredentialChangeRoutes(app: PluginApp, integrations: Integrations): void {
  app.patch(
    '/api/credential/:credentialID',
    {
      config,
      schema: {
        operationId: 'credential.update',
        tags,
        summary: 'Update credential',
        description: 'Renames a stored credential; unknown → 404 `CredentialNotFoundError` (OpenCode: 204).',
        params: CredentialParams,
        body: CredentialUpdateInput,
        response: { 204: noContent, ...credentialNotFound },
      },
    },
    async (request, reply) => {
      integrations.relabel(request.instance, request.params.credentialID, request.body.label)
      return reply.status(204).send(null)
    },
  )

  app.delete(
    '/api/credential/:credentialID',
    {
      config,
      schema: {
        operationId: 'credential.remove',
        tags,
        summary: 'Remove credential',
        description:
          "Forgets a stored credential; when it was the active one, the integration's newest other credential becomes active. Unknown → 404 (OpenCode: 204).",
        params: CredentialParams,
        response: { 204: noContent, ...credentialNotFound },
      },
    },
    async (request, reply) => {
      integrations.remove(request.instance, request.params.credentialID)
      return reply.status(204).send(null)
    },
  )

  app.post(
    '/api/credential/:credentialID/activate',
    {
      config,
      schema: {
        operationId: 'credential.activate',
        tags,
        summary: 'Activate credential',
        description:
          "Makes the credential its integration's active one (the one providers use); unknown → 404 (OpenCode: 204).",
        params: CredentialParams,
        response: { 204: noContent, ...credentialNotFound },
      },
    },
    async (request, reply) => {
      integrations.activate(request.instance, request.params.credentialID)
      return reply.status(204).send(null)
    },
  )
}
