import { Type } from 'typebox'
import { BadRequestErrorBody, InstanceQuery, ref, type PluginApp } from '../../sdk/index.js'
import { Config, ConfigInvalidErrorBody } from './schemas.js'
import type { ConfigService } from './types.js'
import type { StrictValidator } from './validator.js'

// Config is open-ended: fast-json-stringify would drop keys the schema does not list.
const serializerCompiler = () => (data: unknown) => JSON.stringify(data)

export function registerConfigRoutes(app: PluginApp, service: ConfigService, validator: StrictValidator): void {
  // Bodies are checked without coercion or stripping: `"username": 5` is a 400, not "5".
  const validatorCompiler = validator.compile
  const errors = { 400: Type.Union([ref(ConfigInvalidErrorBody), ref(BadRequestErrorBody)]) }

  const instanceRoutes = [
    { path: '/config/config', get: 'config.config.get', update: 'config.config.update' },
    { path: '/config', get: 'config.get', update: 'config.update' },
  ]
  for (const { path, get, update } of instanceRoutes) {
    app.get(
      path,
      {
        serializerCompiler,
        validatorCompiler,
        schema: {
          operationId: get,
          tags: ['config'],
          summary: 'Get the merged config',
          description:
            'Global, `OPENCODE_CONFIG`, project files, `.opencode/` and `OPENCODE_CONFIG_CONTENT`, merged as OpenCode merges them.',
          querystring: Type.Object(InstanceQuery),
          response: { 200: ref(Config), ...errors },
        },
      },
      async (request) => service.get(request.instance),
    )
    app.patch(
      path,
      {
        serializerCompiler,
        validatorCompiler,
        schema: {
          operationId: update,
          tags: ['config'],
          summary: 'Update the project config',
          description:
            "Deep-merges the body into the project's config file (the nearest `opencode.json(c)`, else a new `opencode.json`), keeping comments and other keys, and answers the new merged config.",
          querystring: Type.Object(InstanceQuery),
          body: ref(Config),
          response: { 200: ref(Config), ...errors },
        },
      },
      async (request) => service.update(request.instance, request.body),
    )
  }

  app.get(
    '/global/config',
    {
      config: { instance: false },
      serializerCompiler,
      schema: {
        operationId: 'global.config.get',
        tags: ['global'],
        summary: 'Get the global config',
        description:
          'The global config files alone (`$XDG_CONFIG_HOME/opencode/config.json`, `opencode.json`, `opencode.jsonc`), merged.',
        response: { 200: ref(Config), ...errors },
      },
    },
    async () => service.global(),
  )
  app.patch(
    '/global/config',
    {
      config: { instance: false },
      serializerCompiler,
      validatorCompiler,
      schema: {
        operationId: 'global.config.update',
        tags: ['global'],
        summary: 'Update the global config',
        description:
          'Deep-merges the body into the global config file, keeping comments and other keys; every instance reads config again.',
        body: ref(Config),
        response: { 200: ref(Config), ...errors },
      },
    },
    async (request) => service.updateGlobal(request.body),
  )
}
