import preact from '@preact/preset-vite'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

// Built into dist/web of the package; the server (plugins/web) serves it from there.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [preact()],
  build: {
    outDir: fileURLToPath(new URL('../../../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    // The served CSP forbids inline scripts: no module-preload polyfill snippet.
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 600,
  },
})
