import type { ToolsKernel } from './index.js'
import { Type } from 'typebox'
import { BadRequestError, InstanceQuery, isNamedError, type PluginApp } from '../../sdk/index.js'

const tags = ['experimental']

const ToolListQuery = Type.Object({
  ...InstanceQuery,
  provider: Type.String({ minLength: 1, maxLength: 200, description: 'Provider id' }),
  model: Type.String({ minLength: 1, maxLength: 200, description: 'Model id' }),
})

const ToolListItem = Type.Object({
  id: Type.String(),
  description: Type.String(),
  parameters: Type.Unknown({ description: 'JSON schema of the arguments' }),
})

/** The parameters as plain JSON schema (TypeBox adds symbol keys JSON never shows). */
function jsonSchema(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema))
}

export function registerToolRoutes(app: PluginApp, kernel: ToolsKernel): void {
  app.get(
    '/experimental/tool/ids',
    {
      schema: {
        operationId: 'tool.ids',
        tags,
        summary: 'List tool ids',
        description: 'Every tool the model can be offered in this directory: built-in, plugin and MCP tools.',
        querystring: Type.Object(InstanceQuery),
        response: { 200: Type.Array(Type.String()) },
      },
    },
    async (request) => (await kernel.tools.list(request.instance)).map((tool) => tool.id),
  )

  app.get(
    '/experimental/tool',
    {
      schema: {
        operationId: 'tool.list',
        tags,
        summary: 'List tools with their parameters',
        description:
          'The tools as a model would see them: id, description and JSON-schema parameters. An unknown provider or model is a 400.',
        querystring: ToolListQuery,
        response: { 200: Type.Array(ToolListItem) },
      },
    },
    async (request) => {
      const query = request.query
      if (app.hasDecorator('providers')) {
        try {
          await app.providers.model(request.instance, { providerID: query.provider, modelID: query.model })
        } catch (error) {
          if (isNamedError(error) && error.statusCode === 404)
            throw new BadRequestError(`Model not found: ${query.provider}/${query.model}`, 'Query')
          throw error
        }
      }
      return (await kernel.tools.list(request.instance)).map((tool) => ({
        id: tool.id,
        description: tool.description,
        parameters: jsonSchema(tool.parameters),
      }))
    },
  )
}
