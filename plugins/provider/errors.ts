import { NamedError, TaggedError } from '../../sdk/index.js'

export class ProviderModelNotFoundError extends NamedError {
  constructor(providerID: string, modelID: string) {
    super('ProviderModelNotFoundError', 404, {
      message: `Model not found: ${providerID}/${modelID}`,
      providerID,
      modelID,
    })
  }
}

export class ProviderNotFoundError extends NamedError {
  constructor(providerID: string) {
    super('ProviderNotFoundError', 404, { message: `Provider not found: ${providerID}`, providerID })
  }
}

// v2 answers where OpenCode answers 500 (integration, attempt) or 204 (credential).

export class IntegrationNotFoundError extends TaggedError {
  constructor(integrationID: string) {
    super('IntegrationNotFoundError', 404, `Integration not found: ${integrationID}`, { integrationID })
  }
}

/** An attempt this server does not have, or (2.1's paths, which name it) one of another integration. */
export class IntegrationAttemptNotFoundError extends TaggedError {
  constructor(attemptID: string, integrationID?: string, kind: 'OAuth' | 'Command' = 'OAuth') {
    super('IntegrationAttemptNotFoundError', 404, `${kind} attempt not found: ${attemptID}`, {
      ...(integrationID !== undefined ? { integrationID } : {}),
      attemptID,
    })
  }
}

export class IntegrationMethodNotFoundError extends TaggedError {
  constructor(integrationID: string, methodID: string) {
    super('IntegrationMethodNotFoundError', 404, `Integration method not found: ${methodID}`, {
      integrationID,
      methodID,
    })
  }
}

export class CredentialNotFoundError extends TaggedError {
  constructor(credentialID: string) {
    super('CredentialNotFoundError', 404, `Credential not found: ${credentialID}`, { credentialID })
  }
}

/** A login the provider (or the plugin) refused, or an attempt that cannot finish: 400, tagged as OpenCode tags it. */
export class AuthorizationFailedError extends TaggedError {
  constructor(message: string) {
    super('InvalidRequestError', 400, message, { kind: 'integration_authorization' })
  }
}
