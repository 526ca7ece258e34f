// A 2.1 prompt's files, read and inlined at admission: `data:` URLs as they are, `file://` URIs of
// the project read now. Anything else, a file that cannot be read or one outside the project is a
// precise 400 before anything is stored.
import { readFileSync, statSync } from 'node:fs'
import { basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import { InvalidRequestError, realPathInside, type Instance } from '../../../../sdk/index.js'
import { inferMime } from '../v2/inputs.js'

/** The largest file a prompt inlines (as 2.1's payload carries it). */
const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

export interface FileRequest {
  uri: string
  name?: string
  description?: string
  mention?: { start: number; end: number; text: string }
}

export interface FileAttachment {
  data: string
  mime: string
  source: { type: 'uri'; uri: string }
  name?: string
  description?: string
  mention?: FileRequest['mention']
}

const invalid = (message: string) => new InvalidRequestError(message, { kind: 'Payload', field: 'files' })

function contentOf(instance: Instance, uri: string): { data: string; mime: string } {
  if (uri.startsWith('data:')) {
    const inline = /^data:([^;,]*)(;base64)?,(.*)$/s.exec(uri)
    if (!inline) throw invalid(`Invalid attachment URI: ${uri.slice(0, 100)}`)
    const data = inline[2] ? inline[3]! : Buffer.from(decodeURIComponent(inline[3]!)).toString('base64')
    return { data, mime: inline[1] || 'text/plain' }
  }
  let path: string
  try {
    path = fileURLToPath(new URL(uri))
  } catch {
    throw invalid(`Invalid attachment URI: ${uri.slice(0, 200)}`)
  }
  if (!realPathInside(path, [instance.worktree, instance.directory]))
    throw invalid(`Attachment is outside the project: ${path}`)
  try {
    const stat = statSync(path)
    if (stat.isDirectory()) return { data: '', mime: 'application/x-directory' }
    if (stat.size > MAX_ATTACHMENT_BYTES) throw invalid(`Attachment is too large: ${path}`)
    return { data: readFileSync(path).toString('base64'), mime: inferMime(path) }
  } catch (error) {
    if (error instanceof InvalidRequestError) throw error
    throw invalid(`Unable to read attachment: ${uri.slice(0, 200)}`)
  }
}

/** The files of a prompt as its inbox item carries them; throws a 400 for the first bad one. */
export function readAttachments(instance: Instance, files: FileRequest[]): FileAttachment[] {
  return files.map((file) => {
    const { data, mime } = contentOf(instance, file.uri)
    const name = file.name ?? (file.uri.startsWith('data:') ? undefined : basename(file.uri.split(/[?#]/)[0]!))
    return {
      data,
      mime,
      source: { type: 'uri', uri: file.uri },
      ...(name ? { name } : {}),
      ...(file.description ? { description: file.description } : {}),
      ...(file.mention ? { mention: file.mention } : {}),
    }
  })
}
