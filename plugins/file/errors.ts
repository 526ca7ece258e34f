import { Type } from 'typebox'
import { TaggedError, isNamedError, named } from '../../sdk/index.js'

/** OpenCode 2.1's 404 of the `/api/fs/*` routes: no file (or directory) at `path`. */
export class FileNotFoundError extends TaggedError {
  constructor(path: string, message = `File not found: ${path}`) {
    super('FileNotFoundError', 404, message, { path })
  }
}

export const FileNotFoundErrorBody = named(
  'FileNotFoundError',
  Type.Object(
    { _tag: Type.Literal('FileNotFoundError'), path: Type.String(), message: Type.String() },
    { additionalProperties: false },
  ),
)

/**
 * The service's answers for a path that names no file of the wanted kind (404 missing, 400 a
 * directory where a file was wanted or the reverse), as OpenCode 2.1's `FileNotFoundError`;
 * other errors (403 outside the project ...) unchanged.
 */
export function asFileNotFound(error: unknown, path: string, kind: 'file' | 'directory'): unknown {
  if (!isNamedError(error)) return error
  if (error.name === 'NotFoundError')
    return new FileNotFoundError(path, `${kind === 'file' ? 'File' : 'Directory'} not found: ${path}`)
  if (error.name === 'BadRequest' && /^(Is a directory|Not a regular file|Not a directory):/.test(error.message))
    return new FileNotFoundError(path, error.message)
  return error
}
