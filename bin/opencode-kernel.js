#!/usr/bin/env node
// Prefers the bundled build (one file: fast start); falls back to the compiled modules. Dev mode
// (--dev) always runs the compiled modules: it re-imports plugins from dist/plugins when they change.
import { existsSync } from 'node:fs'

const bundle = new URL('../dist/opencode-kernel.mjs', import.meta.url)
if (existsSync(bundle) && !process.argv.includes('--dev')) await import(bundle.href)
else (await import('../dist/kernel/main.js')).run(process.argv.slice(2))
