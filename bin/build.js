#!/usr/bin/env node
// The build, step by step, each step run only when its inputs changed since it last succeeded.
// A step's fingerprint is a hash of its input files (paths and contents); the fingerprints of the
// last successful build are kept in dist/.build-fingerprints.json.
//
//   node bin/build.js           type-check and compile (tsc), bundle, web app (when it exists)
//   node bin/build.js --start   what `npm start` needs: the bundle and the web app, no type-check
//                               (esbuild bundles the TypeScript sources directly)
//   node bin/build.js --force   every step, whatever the fingerprints say
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const dist = join(root, 'dist')
const fingerprintsFile = join(dist, '.build-fingerprints.json')
const args = new Set(process.argv.slice(2))
const startOnly = args.has('--start')
const force = args.has('--force')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

const SKIP_DIRS = new Set(['node_modules', 'dist', '.git'])
// The web app's sources are the web step's input, not the server's (the root tsconfig excludes them).
const WEB_APP = 'plugins/web/app'

/** Every file under `path` (relative to the root), sorted, without `exclude`d folders. */
function files(path, exclude = []) {
  const full = join(root, path)
  if (!existsSync(full)) return []
  if (!statSync(full).isDirectory()) return [path]
  const out = []
  for (const entry of readdirSync(full).sort()) {
    const child = path === '.' ? entry : `${path}/${entry}`
    if (SKIP_DIRS.has(entry) || exclude.includes(child)) continue
    if (statSync(join(root, child)).isDirectory()) out.push(...files(child, exclude))
    else out.push(child)
  }
  return out
}

function fingerprint(inputs) {
  const hash = createHash('sha256')
  for (const file of inputs) {
    hash.update(file + '\0')
    hash.update(readFileSync(join(root, file)))
    hash.update('\0')
  }
  return hash.digest('hex')
}

function run(command, commandArgs) {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' })
  if (result.status !== 0) process.exit(result.status ?? 1)
}

const common = ['package.json', 'package-lock.json', 'tsconfig.json']
const serverSources = [...common, ...['kernel', 'plugins', 'sdk'].flatMap((dir) => files(dir, [WEB_APP]))]

const COMPILED = /\.(js|d\.ts)(\.map)?$/

/**
 * Removes what tsc compiled from a source that no longer exists (a moved or deleted file): tsc
 * never deletes, and a stale plugin entry or test under dist/ would still be found and run.
 */
function pruneCompiled() {
  for (const top of ['kernel', 'plugins', 'sdk', 'examples', 'test']) {
    for (const file of files(`dist/${top}`)) {
      if (!COMPILED.test(file)) continue
      const source = file.slice('dist/'.length).replace(COMPILED, '')
      const exists = ['.ts', '.tsx', '.js', '.mts'].some((ext) => existsSync(join(root, source + ext)))
      if (!exists) rmSync(join(root, file))
    }
    removeEmptyFolders(join(dist, top))
  }
}

function removeEmptyFolders(dir) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return
  for (const entry of readdirSync(dir)) removeEmptyFolders(join(dir, entry))
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true })
}

const steps = [
  {
    name: 'tsc',
    // The type-check: the server, the examples and the tests, compiled to dist/ for the tests.
    inputs: () => [...serverSources, ...files('examples'), ...files('test')],
    outputs: ['dist/kernel/main.js'],
    run: () => {
      run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'])
      pruneCompiled()
    },
    skipOnStart: true,
  },
  {
    name: 'bundle',
    inputs: () => [...serverSources, 'bin/bundle.js'],
    outputs: ['dist/opencode-kernel.mjs'],
    run: () => run(process.execPath, [join(root, 'bin/bundle.js')]),
  },
  {
    name: 'web',
    // Only when the package has a web app to build (`npm run build:web`).
    enabled: () => Boolean(pkg.scripts?.['build:web']),
    inputs: () => [...common, ...files(WEB_APP)],
    outputs: ['dist/web'],
    run: () => run(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build:web']),
  },
]

const previous = existsSync(fingerprintsFile) ? JSON.parse(readFileSync(fingerprintsFile, 'utf8')) : {}
const current = { ...previous }
for (const step of steps) {
  if (step.enabled && !step.enabled()) continue
  if (startOnly && step.skipOnStart) continue
  const inputs = step.inputs()
  const print = fingerprint(inputs)
  const built = step.outputs.every((output) => existsSync(join(root, output)))
  if (!force && built && previous[step.name] === print) {
    console.log(`build: ${step.name} up to date (${inputs.length} files unchanged)`)
    continue
  }
  const started = performance.now()
  step.run()
  // The hash taken before the step: a source edited while it ran is seen by the next build.
  current[step.name] = print
  mkdirSync(dist, { recursive: true })
  writeFileSync(fingerprintsFile, JSON.stringify(current, null, 2) + '\n')
  console.log(`build: ${step.name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`)
}
