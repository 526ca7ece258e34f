import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PACKAGE_ROOT } from '../../sdk/index.js'

/** A plugin function as `@opencode-ai/plugin` types it. */
export type PluginFn = (input: unknown, options?: Record<string, unknown>) => unknown

/** What one module gives: its plugin functions, and the id of a `{id, server}` module. */
export interface ModuleShape {
  id?: string
  plugins: PluginFn[]
}

const BUILTINS = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)])
// Packages a plugin file may import without installing them: the server's own copies.
const FALLBACK_ROOT = PACKAGE_ROOT

let esbuild: typeof import('esbuild') | undefined

/**
 * Bundles `file` (TypeScript, JSX, extensionless relative imports) into one ES module under
 * `outDir`; packages stay external but are pinned to absolute URLs resolved from the file's own
 * folder (then the server's), so the output can live anywhere. Returns the output path; the name
 * changes with the content (a dev-mode reload imports it afresh).
 */
async function transpile(file: string, outDir: string): Promise<string> {
  esbuild ??= await import('esbuild')
  const build = esbuild
  const result = await build.build({
    entryPoints: [file],
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    sourcemap: 'inline',
    plugins: [
      {
        name: 'pin-packages',
        setup(ctx) {
          ctx.onResolve({ filter: /^[^./]|^\.[^./]|^\.\.[^/]/ }, async (args) => {
            if (args.pluginData === 'pinning') return undefined
            if (BUILTINS.has(args.path)) return { path: args.path, external: true }
            if (args.path.startsWith('/')) return undefined
            let resolved = await ctx.resolve(args.path, {
              kind: args.kind,
              resolveDir: args.resolveDir,
              pluginData: 'pinning',
            })
            if (resolved.errors.length)
              resolved = await ctx.resolve(args.path, {
                kind: args.kind,
                resolveDir: FALLBACK_ROOT,
                pluginData: 'pinning',
              })
            if (resolved.errors.length) return { errors: resolved.errors }
            // Inside node_modules: imported natively from its real place (its own import.meta.url, one copy).
            if (resolved.path.includes(`${sep}node_modules${sep}`))
              return { path: pathToFileURL(resolved.path).href, external: true }
            return undefined
          })
        },
      },
    ],
  })
  const code = result.outputFiles[0]!.text
  const hash = createHash('sha256').update(file).update('\0').update(code).digest('hex').slice(0, 24)
  mkdirSync(outDir, { recursive: true })
  const out = join(outDir, `${hash}.mjs`)
  writeFileSync(out, code)
  return out
}

/**
 * Imports a plugin entry. Files outside `node_modules` and every `.ts`/`.tsx` file are bundled
 * first (Node 20 cannot import TypeScript or extensionless paths); packages' `.js` load natively.
 */
export async function importPlugin(entry: string, outDir: string): Promise<Record<string, unknown>> {
  const inPackage = entry.includes(`${sep}node_modules${sep}`)
  const needsBuild = /\.(ts|tsx|mts|cts|jsx)$/.test(entry) || !inPackage
  if (needsBuild) return (await import(pathToFileURL(await transpile(entry, outDir)).href)) as Record<string, unknown>
  const url = pathToFileURL(entry)
  // A changed file is evaluated afresh (dev mode); an unchanged one keeps its module.
  url.searchParams.set('mtime', String(statSync(entry).mtimeMs))
  return (await import(url.href)) as Record<string, unknown>
}

/**
 * OpenCode's module rules: a default export with `id`/`server`/`tui` is a v1 module (`server`
 * is the plugin); otherwise every export value must be a plugin function (or `{server}`), each
 * function once. Anything else fails the module, as in OpenCode.
 */
export function moduleShape(module: Record<string, unknown>, label: string): ModuleShape {
  const main = module.default as Record<string, unknown> | undefined
  if (main && typeof main === 'object' && ('id' in main || 'server' in main || 'tui' in main)) {
    if (typeof main.server !== 'function')
      throw new Error(`${label}: a module with only a TUI plugin has nothing for the server`)
    return { id: typeof main.id === 'string' ? main.id : undefined, plugins: [main.server as PluginFn] }
  }
  const plugins: PluginFn[] = []
  for (const [name, value] of Object.entries(module)) {
    const fn =
      typeof value === 'function'
        ? value
        : value && typeof value === 'object' && typeof (value as { server?: unknown }).server === 'function'
          ? (value as { server: unknown }).server
          : undefined
    if (typeof fn !== 'function') throw new Error(`${label}: Plugin export is not a function (export "${name}")`)
    if (!plugins.includes(fn as PluginFn)) plugins.push(fn as PluginFn)
  }
  if (plugins.length === 0) throw new Error(`${label}: the module exports no plugin function`)
  return { plugins }
}

/** The version of a package, for the `GET /plugin` listing. */
export function packageVersion(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version
  } catch {
    return undefined
  }
}
