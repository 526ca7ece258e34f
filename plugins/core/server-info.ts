import { mkdir } from 'node:fs/promises'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * The OpenCode release whose API `GET /api/info` reports. OpenCode 2.1.2's CLI warns on every
 * command when a server's `version` differs from its own, so this is the version of the API we
 * serve; our own version is in `x-opencode-kernel-version` and `GET /global/health`.
 */
export const OPENCODE_API_VERSION = '2.1.2'

/**
 * The URLs clients reach the server at: its own, or, listening on every interface (`0.0.0.0`,
 * `::`), the loopback URL and one per external address of that family, as OpenCode lists them.
 */
export function serverUrls(url: string | undefined): string[] {
  if (url === undefined) return []
  const parsed = new URL(url)
  const family = parsed.hostname === '0.0.0.0' ? 'IPv4' : parsed.hostname === '[::]' ? 'IPv6' : undefined
  if (family === undefined) return [url]
  const at = (hostname: string) => {
    const copy = new URL(url)
    copy.hostname = hostname
    return copy.toString().replace(/\/$/, '')
  }
  const external = Object.values(networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .filter((address) => !address.internal && address.family === family)
    .map((address) => at(family === 'IPv6' ? `[${address.address}]` : address.address))
  return [...new Set([at(family === 'IPv6' ? '[::1]' : '127.0.0.1'), ...external])]
}

let tmp: Promise<string> | undefined

/** This server's folder for temporary files (`<os tmp>/opencode-kernel`), created on first use. */
export function serverTmpDirectory(): Promise<string> {
  tmp ??= (async () => {
    const directory = join(tmpdir(), 'opencode-kernel')
    // Still named when it cannot be created: clients only read the path.
    await mkdir(directory, { recursive: true }).catch(() => undefined)
    return directory
  })()
  return tmp
}
