import type { ConfigKernel } from './index.js'
import { isAbsolute, join, resolve } from 'node:path'
import { Type, type Static } from 'typebox'
import {
  LocationQuery,
  PublicLocationEnvelope,
  named,
  publicLocationEnvelope,
  ref,
  v2Errors,
  type PluginApp,
} from '../../sdk/index.js'
import type { ConfigService } from './types.js'

/** OpenCode 2.1's `Reference.Info`: a local source names its absolute path, a git one its repository. */
export const ReferenceInfo = named(
  'ReferenceInfo',
  Type.Object(
    {
      name: Type.String(),
      path: Type.String(),
      description: Type.Optional(Type.String()),
      hidden: Type.Optional(Type.Boolean()),
      source: Type.Union([
        Type.Object({ type: Type.Literal('local'), path: Type.String() }, { additionalProperties: false }),
        Type.Object(
          { type: Type.Literal('git'), repository: Type.String(), branch: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
      ]),
    },
    { additionalProperties: false },
  ),
)
type Reference = Static<typeof ReferenceInfo>
type ReferenceEntry =
  string | { path?: string; repository?: string; branch?: string; hidden?: boolean; description?: string }

/** Where a git reference's checkout lives: `<data>/repos/<host>/<owner>/<repo>[@<branch>]`. */
function checkoutPath(dataDir: string, repository: string, branch?: string): string {
  const cleaned = repository
    .replace(/^[a-z+]+:\/\//i, '')
    .replace(/^git@([^:]+):/, '$1/')
    .replace(/\.git$/, '')
  const segments = cleaned.split('/').filter((segment) => segment !== '' && segment !== '.' && segment !== '..')
  const last = segments.pop() ?? 'repository'
  return join(dataDir, 'repos', ...segments, branch ? `${last}@${branch}` : last)
}

/** A config `references` entry as v2 shows it (what a git one names is checked out by nothing here yet). */
export function referenceView(name: string, entry: ReferenceEntry, directory: string, dataDir: string): Reference {
  const extra =
    typeof entry === 'object'
      ? {
          ...(entry.description ? { description: entry.description } : {}),
          ...(entry.hidden !== undefined ? { hidden: entry.hidden } : {}),
        }
      : {}
  if (typeof entry === 'object' && entry.repository) {
    return {
      name,
      path: checkoutPath(dataDir, entry.repository, entry.branch),
      ...extra,
      source: { type: 'git', repository: entry.repository, ...(entry.branch ? { branch: entry.branch } : {}) },
    }
  }
  const given = typeof entry === 'string' ? entry : (entry.path ?? '.')
  const path = isAbsolute(given) ? given : resolve(directory, given)
  return { name, path, ...extra, source: { type: 'local', path } }
}

/** `GET /api/reference`: the config's `references` (and OpenCode's older `reference`) at a location. */
export function registerConfigV2Routes(app: PluginApp, kernel: ConfigKernel, service: ConfigService): void {
  app.get(
    '/api/reference',
    {
      config: { v2: true, location: true },
      schema: {
        operationId: 'reference.list',
        tags: ['reference'],
        summary: 'List references',
        description:
          'Config `references`: a path (relative to the location) or `{path}` is local; `{repository, branch?}` is a git reference with its checkout path under the data dir.',
        querystring: Type.Object(LocationQuery),
        response: { 200: PublicLocationEnvelope(Type.Array(ref(ReferenceInfo))), ...v2Errors() },
      },
    },
    async (request) => {
      const config = service.get(request.instance) as {
        references?: Record<string, ReferenceEntry>
        reference?: Record<string, ReferenceEntry>
      }
      const entries = { ...config.reference, ...config.references }
      return publicLocationEnvelope(
        request,
        Object.entries(entries).map(([name, entry]) =>
          referenceView(name, entry, request.instance.directory, kernel.paths.data),
        ),
      )
    },
  )
}
