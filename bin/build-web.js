// Build step for the web app (plugins/web/app): type-check it, bundle it with Vite into dist/web,
// then write .gz and .br copies next to each text file so the server never compresses per request.
import { execFileSync } from 'node:child_process'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { brotliCompressSync, constants, gzipSync } from 'node:zlib'
import { build } from 'vite'

const root = new URL('..', import.meta.url).pathname
const app = join(root, 'plugins', 'web', 'app')
const out = join(root, 'dist', 'web')

execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', app], {
  stdio: 'inherit',
})
await build({ configFile: join(app, 'vite.config.ts'), logLevel: 'warn' })

const COMPRESSIBLE = /\.(js|css|html|svg|json|txt|webmanifest)$/
function compress(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) compress(path)
    else if (COMPRESSIBLE.test(name)) {
      const body = readFileSync(path)
      writeFileSync(path + '.gz', gzipSync(body, { level: 9 }))
      writeFileSync(
        path + '.br',
        brotliCompressSync(body, {
          params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
        }),
      )
    }
  }
}
compress(out)
