// Build step: bundles the server and its built-in plugins into dist/opencode-kernel.mjs so that
// start-up parses one file instead of about a thousand modules. esbuild reads the TypeScript
// sources directly (no tsc output needed; type-checking is the tsc step's job). The plugins are
// discovered here, from plugins/*/index.ts, exactly as the loader discovers them at run time.
import { build } from 'esbuild'
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const pluginsDir = join(root, 'plugins')
const names = readdirSync(pluginsDir)
  .filter((name) => existsSync(join(pluginsDir, name, 'index.ts')))
  .sort()

mkdirSync(join(root, 'dist'), { recursive: true })
const entry = join(root, 'dist', '.bundle-entry.mjs')
writeFileSync(
  entry,
  [
    `import { run } from '../kernel/main.ts'`,
    ...names.map((name, i) => `import plugin${i} from '../plugins/${name}/index.ts'`),
    `const builtins = [${names.map((name, i) => `{ definition: plugin${i}, source: 'plugins/${name}', builtin: true }`).join(', ')}]`,
    `await run(process.argv.slice(2), builtins)`,
    '',
  ].join('\n'),
)

await build({
  entryPoints: [entry],
  outfile: join(root, 'dist', 'opencode-kernel.mjs'),
  bundle: true,
  platform: 'node',
  // Prefer ESM entry points: some packages' UMD builds use dynamic requires esbuild cannot follow.
  mainFields: ['module', 'main'],
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  // Native addons and the heavy, lazily imported model and MCP SDKs (and zod, which only plugin
  // tools use) stay outside the bundle.
  external: [
    'esbuild',
    '@opencode-ai/sdk',
    'turndown',
    'diff',
    'ignore',
    'picomatch',
    'vscode-jsonrpc',
    'vscode-jsonrpc/*',
    'better-sqlite3',
    'node-pty',
    'ai',
    '@ai-sdk/*',
    '@modelcontextprotocol/sdk',
    '@modelcontextprotocol/sdk/*',
    'zod',
    'zod/*',
    'pg',
    'undici',
  ],
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  },
})
