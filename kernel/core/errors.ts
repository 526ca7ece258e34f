import { randomBytes } from 'node:crypto'

/** Data carried by every error response: `{ name, data: { message, ... } }`. */
export interface ErrorData {
  message: string
  [key: string]: unknown
}

/**
 * An error with a stable name and an HTTP status. Every error a client sees has this shape;
 * plugins subclass it in their own `errors.ts`.
 */
// A registered symbol, so errors thrown by a plugin that bundles its own copy of the SDK are
// still recognised (`instanceof` would fail across copies).
const NAMED_ERROR = Symbol.for('opencode-kernel.NamedError')

export class NamedError extends Error {
  readonly statusCode: number
  readonly data: ErrorData
  readonly [NAMED_ERROR] = true

  constructor(name: string, statusCode: number, data: ErrorData) {
    super(data.message)
    this.name = name
    this.statusCode = statusCode
    this.data = data
  }

  toJSON(): { name: string; data: ErrorData } {
    return { name: this.name, data: this.data }
  }
}

/** True for a NamedError from any copy of the kernel or SDK. */
export function isNamedError(error: unknown): error is NamedError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[NAMED_ERROR] === true
}

export type RequestPart = 'Body' | 'Query' | 'Params' | 'Headers' | 'Payload'

export class BadRequestError extends NamedError {
  constructor(message: string, kind?: RequestPart) {
    super('BadRequest', 400, kind ? { message, kind } : { message })
  }
}

export class UnauthorizedError extends NamedError {
  constructor(message = 'Authentication required') {
    super('UnauthorizedError', 401, { message })
  }
}

export class ForbiddenError extends NamedError {
  constructor(message: string) {
    super('ForbiddenError', 403, { message })
  }
}

export class NotFoundError extends NamedError {
  constructor(message: string) {
    super('NotFoundError', 404, { message })
  }
}

export class ConflictError extends NamedError {
  constructor(message: string, data: Record<string, unknown> = {}) {
    super('ConflictError', 409, { ...data, message })
  }
}

export class PayloadTooLargeError extends NamedError {
  constructor(message: string) {
    super('PayloadTooLargeError', 413, { message })
  }
}

export class TooManyRequestsError extends NamedError {
  constructor(message: string) {
    super('TooManyRequestsError', 429, { message })
  }
}

/** A plugin that cannot be loaded; thrown before the server listens. */
export class PluginLoadError extends Error {
  readonly plugin: string
  /** Not a kernel plugin at all (an OpenCode plugin module, a TypeScript entry): another loader's business. */
  readonly foreign: boolean
  constructor(plugin: string, message: string, options?: { cause?: unknown; foreign?: boolean }) {
    super(`plugin "${plugin}": ${message}`, options)
    this.name = 'PluginLoadError'
    this.plugin = plugin
    this.foreign = options?.foreign ?? false
  }
}

/** A short reference printed to the log and returned to the client for a 500. */
export function errorReference(): string {
  return `err_${randomBytes(4).toString('hex')}`
}
