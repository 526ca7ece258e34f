import type { FastifyRequest } from 'fastify'
import { stat } from 'node:fs/promises'
import { isAbsolute, normalize } from 'node:path'
import { BadRequestError } from '../core/errors.js'

function decodeOnce(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name]
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * The directory a request names: `?directory=`, else `X-Directory`, else `x-opencode-directory`
 * (URL-encoded values accepted, as OpenCode's clients send them), else the server's cwd. Throws
 * a 400 when the query names it more than once.
 */
export function requestedDirectory(
  request: FastifyRequest,
  cwd: string,
): { directory: string; from: 'Query' | 'Headers' | 'cwd' } {
  const query = (request.query as Record<string, unknown> | undefined)?.directory
  // Named twice is garbage, not a request for the default directory.
  if (query !== undefined && typeof query !== 'string')
    throw new BadRequestError('directory must be given once, as a string', 'Query')
  if (typeof query === 'string' && query !== '') return { directory: decodeOnce(query), from: 'Query' }
  const fromHeader = header(request, 'x-directory') ?? header(request, 'x-opencode-directory')
  if (fromHeader) return { directory: decodeOnce(fromHeader), from: 'Headers' }
  return { directory: cwd, from: 'cwd' }
}

/** Normalises a requested directory and checks that it is an absolute path of an existing directory. */
export async function checkDirectory(raw: string, from: 'Query' | 'Headers' | 'cwd'): Promise<string> {
  const kind = from === 'cwd' ? undefined : from
  if (raw.includes('\0')) throw new BadRequestError('directory must not contain NUL characters', kind)
  if (!isAbsolute(raw)) throw new BadRequestError(`directory must be an absolute path, got "${raw}"`, kind)
  const directory = normaliseDirectory(raw)
  const info = await stat(directory).catch(() => undefined)
  if (!info) throw new BadRequestError(`directory does not exist: ${directory}`, kind)
  if (!info.isDirectory()) throw new BadRequestError(`not a directory: ${directory}`, kind)
  return directory
}

export function normaliseDirectory(raw: string): string {
  let directory = normalize(raw)
  if (directory.length > 1 && directory.endsWith('/')) directory = directory.slice(0, -1)
  return directory
}
