import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, extname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/** One built file with its pre-compressed copies (made at build time by bin/build-web.js). */
export interface Asset {
  body: Buffer
  gzip?: Buffer
  brotli?: Buffer
  type: string
  /** Hashed names under `assets/` never change, so they are cached for a year. */
  immutable: boolean
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
}

/** Where the build put the app: `dist/web` of the package this file runs from (bundled or not). */
export function findWebRoot(start = dirname(fileURLToPath(import.meta.url))): string | undefined {
  let dir = start
  for (;;) {
    for (const candidate of [join(dir, 'dist', 'web'), join(dir, 'web')]) {
      if (existsSync(join(candidate, 'index.html'))) return candidate
    }
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

/** Reads every built file once; requests are then served from memory (the app is a few hundred KB). */
export function loadAssets(root: string): Map<string, Asset> {
  const assets = new Map<string, Asset>()
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) {
        walk(path)
        continue
      }
      if (name.endsWith('.gz') || name.endsWith('.br') || name.endsWith('.map')) continue
      const key = '/' + relative(root, path).split(sep).join('/')
      const compressed = (suffix: string) => (existsSync(path + suffix) ? readFileSync(path + suffix) : undefined)
      assets.set(key, {
        body: readFileSync(path),
        gzip: compressed('.gz'),
        brotli: compressed('.br'),
        type: TYPES[extname(name)] ?? 'application/octet-stream',
        immutable: key.startsWith('/assets/'),
      })
    }
  }
  walk(root)
  return assets
}

/** The encoding to send: brotli, then gzip, when the client accepts it and a copy exists. */
export function pickEncoding(asset: Asset, acceptEncoding: string | undefined): 'br' | 'gzip' | undefined {
  const accepted = new Set<string>()
  for (const item of (acceptEncoding ?? '').toLowerCase().split(',')) {
    const [name = '', ...params] = item.split(';').map((piece) => piece.trim())
    const q = params.find((param) => param.startsWith('q='))
    if (!q || Number(q.slice(2)) > 0) accepted.add(name)
  }
  if (asset.brotli && accepted.has('br')) return 'br'
  if (asset.gzip && accepted.has('gzip')) return 'gzip'
  return undefined
}

/** A navigation from a browser: a GET that asks for HTML. */
export function wantsHtml(accept: string | undefined): boolean {
  return (accept ?? '').toLowerCase().includes('text/html')
}

/**
 * The app's Content-Security-Policy: only this server, no inline scripts. Inline styles are
 * allowed because the terminal (xterm.js) and the markdown highlighter set style attributes.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ')
