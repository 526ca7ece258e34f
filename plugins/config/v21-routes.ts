import type { ConfigKernel } from './index.js'
import { existsSync, statSync } from 'node:fs'
import { dirname, isAbsolute, join, parse, relative, sep } from 'node:path'
import { Type } from 'typebox'
import {
  InvalidRequestError,
  LocationQuery,
  loadGlobalConfig,
  named,
  ref,
  v2Errors,
  type ConfigSource,
  type Instance,
  type PluginApp,
} from '../../sdk/index.js'
import { toNativeConfig } from './native-view.js'
import { availableShells, isExecutableFile } from './shells.js'
import type { ConfigService } from './types.js'

const tags = ['config']
const config = { v2: true, location: true }
// Config documents are open-ended: fast-json-stringify would drop what the schema does not list.
const serializerCompiler = () => (data: unknown) => JSON.stringify(data)

export const ConfigEntry = named(
  'Config.Entry',
  Type.Union([
    Type.Object(
      {
        type: Type.Literal('document'),
        path: Type.Optional(Type.String({ description: 'Absent for `OPENCODE_CONFIG_CONTENT`' })),
        info: Type.Object(
          {},
          { additionalProperties: true, description: "The document in OpenCode 2.1's native form" },
        ),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        type: Type.Literal('directory'),
        path: Type.String({ description: 'Agents, commands, skills … are read here' }),
      },
      { additionalProperties: false },
    ),
  ]),
)

export const ConfigShellOption = named(
  'ConfigShell.Option',
  Type.Object(
    { path: Type.String(), name: Type.String(), acceptable: Type.Boolean() },
    { additionalProperties: false },
  ),
)

type Entry = { type: 'document'; path?: string; info: Record<string, unknown> } | { type: 'directory'; path: string }

const isDirectory = (path: string) => existsSync(path) && statSync(path).isDirectory()

/** The `.opencode` folders from the project's root (the filesystem's, outside git) down to the directory. */
function dotOpencodeDirs(instance: Instance): string[] {
  const top = instance.project.vcs === 'git' ? instance.worktree : parse(instance.directory).root
  const rel = relative(top, instance.directory)
  const dirs = [top]
  if (rel !== '' && !rel.startsWith('..') && !isAbsolute(rel))
    for (const segment of rel.split(sep)) dirs.push(join(dirs[dirs.length - 1]!, segment))
  return dirs.map((dir) => join(dir, '.opencode')).filter(isDirectory)
}

/**
 * The documents the instance's config was merged from, lowest priority first, each followed by
 * the folder it stands for where that folder is also read for agents, commands and skills.
 */
function configEntries(sources: readonly ConfigSource[], globalDir: string, dotDirs: string[]): Entry[] {
  const document = (source: ConfigSource): Entry =>
    source.path === 'OPENCODE_CONFIG_CONTENT'
      ? { type: 'document', info: toNativeConfig(source.config) }
      : { type: 'document', path: source.path, info: toNativeConfig(source.config) }
  const global = sources.filter((source) => dirname(source.path) === globalDir)
  const dotted = (dir: string) => sources.filter((source) => dirname(source.path) === dir)
  const rest = sources.filter(
    (source) =>
      !global.includes(source) && !dotDirs.includes(dirname(source.path)) && source.path !== 'OPENCODE_CONFIG_CONTENT',
  )
  const content = sources.filter((source) => source.path === 'OPENCODE_CONFIG_CONTENT')
  return [
    ...global.map(document),
    { type: 'directory', path: globalDir },
    ...rest.map(document),
    ...dotDirs.flatMap((dir): Entry[] => [...dotted(dir).map(document), { type: 'directory', path: dir }]),
    ...content.map(document),
  ]
}

/** OpenCode 2.1's `/api/config*`: the config documents, the shells, setting the global shell. */
export function registerConfigV21Routes(app: PluginApp, kernel: ConfigKernel, service: ConfigService): void {
  app.get(
    '/api/config',
    {
      config,
      serializerCompiler,
      schema: {
        operationId: 'config.get',
        tags,
        summary: 'Get configuration',
        description:
          "The config documents of the location, lowest priority first, each in OpenCode 2.1's native form (1.x files translated), with the folders read for agents, commands and skills. " +
          'Keys the native form has no place for are left out; API keys, tokens and secrets are masked (OpenCode 2.1.2 shows them).',
        querystring: Type.Object(LocationQuery),
        response: { 200: Type.Array(ref(ConfigEntry)), ...v2Errors() },
      },
    },
    async (request) => {
      // Checked like `GET /config`: a file that breaks the schema is a 400 naming it.
      service.get(request.instance)
      const globalDir = dirname(loadGlobalConfig(kernel.env).file)
      const sources = kernel.loadedConfig(request.instance).sources
      return configEntries(sources, globalDir, dotOpencodeDirs(request.instance))
    },
  )

  app.get(
    '/api/config/shell',
    {
      config,
      schema: {
        operationId: 'config.shells',
        tags,
        summary: 'List available shells',
        description:
          'The shells of `/etc/shells` that exist and are executable (else the common ones on PATH); `acceptable` is false for fish and nu, which cannot run the commands the agent writes.',
        querystring: Type.Object(LocationQuery),
        response: { 200: Type.Array(ref(ConfigShellOption)), ...v2Errors() },
      },
    },
    async () => availableShells(kernel.env),
  )

  app.patch(
    '/api/experimental/config',
    {
      config,
      schema: {
        operationId: 'experimental.config.update',
        tags,
        summary: 'Update global configuration',
        description:
          'Sets (`shell`: an absolute path to an executable file) or removes (`shell: null`) the shell in the global config file, comments kept; `config.updated`. ' +
          'A path that does not exist or is not executable is a 400 and nothing is written (OpenCode 2.1.2 writes any string).',
        querystring: Type.Object(LocationQuery),
        body: Type.Object({ shell: Type.Union([Type.String(), Type.Null()]) }, { additionalProperties: false }),
        response: { 204: Type.Null(), ...v2Errors() },
      },
    },
    async (request, reply) => {
      const { shell } = request.body
      if (shell !== null && (!isAbsolute(shell) || !isExecutableFile(shell)))
        throw new InvalidRequestError(
          `Shell must be an absolute path to an executable file: ${JSON.stringify(shell)}`,
          {
            kind: 'Payload',
            field: 'shell',
          },
        )
      await service.updateGlobal({ shell: shell ?? undefined })
      return reply.status(204).send(null)
    },
  )
}
