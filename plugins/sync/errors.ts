import { NamedError, type ErrorData } from '../../sdk/index.js'

/**
 * A request the sync routes cannot carry out (a bad history, an unknown session). OpenCode answers
 * these routes with Effect's tagged shape, `{_tag, message}`, which its clients and OpenAPI document
 * expect, instead of `{name, data}`.
 */
export class SyncRequestError extends NamedError {
  constructor(message: string) {
    super('InvalidRequestError', 400, { message })
  }

  override toJSON(): { name: string; data: ErrorData } {
    return { _tag: 'InvalidRequestError', message: this.data.message, kind: 'Payload' } as unknown as {
      name: string
      data: ErrorData
    }
  }
}
