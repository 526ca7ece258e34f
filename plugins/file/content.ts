import { extname } from 'node:path'

const MIME_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  ico: 'image/x-icon',
  tif: 'image/tiff',
  tiff: 'image/tiff',
  avif: 'image/avif',
  heic: 'image/heic',
  svg: 'image/svg+xml',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tgz: 'application/gzip',
  tar: 'application/x-tar',
  '7z': 'application/x-7z-compressed',
  jar: 'application/java-archive',
  wasm: 'application/wasm',
  sqlite: 'application/vnd.sqlite3',
  db: 'application/vnd.sqlite3',
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  ogg: 'audio/ogg',
  flac: 'audio/flac',
  mp4: 'video/mp4',
  webm: 'video/webm',
  mov: 'video/quicktime',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  otf: 'font/otf',
}

/** The MIME type of a binary file by its extension; `application/octet-stream` when unknown. */
export function binaryMimeType(path: string): string {
  return MIME_TYPES[extname(path).slice(1).toLowerCase()] ?? 'application/octet-stream'
}

const SNIFF_BYTES = 8192

/**
 * The file as text when it is text: valid UTF-8 without a NUL byte in its first 8 KB (git's
 * test, plus the encoding); undefined for binary content. A UTF-8 byte order mark is dropped.
 */
export function decodeText(bytes: Buffer): string | undefined {
  if (bytes.subarray(0, SNIFF_BYTES).includes(0)) return undefined
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return undefined
  }
}

/** UTF-8 byte length of the first `index` UTF-16 units of `text`. */
export function utf8Offset(text: string, index: number): number {
  return Buffer.byteLength(text.slice(0, index))
}
