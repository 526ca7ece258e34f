import type { FormatterKernel } from './index.js'
import { Type } from 'typebox'
import { InstanceQuery, ref, type PluginApp } from '../../sdk/index.js'
import { FormatterStatus } from './schemas.js'
import { formatterStatus } from './service.js'

export function registerFormatterRoutes(app: PluginApp, kernel: FormatterKernel): void {
  app.get(
    '/formatter',
    {
      schema: {
        operationId: 'formatter.status',
        tags: ['instance'],
        summary: 'Formatters',
        description: 'Built-in and configured formatters; `enabled` = not disabled by config and installed here.',
        querystring: Type.Object(InstanceQuery),
        response: { 200: Type.Array(ref(FormatterStatus)) },
      },
    },
    async (request) => formatterStatus(request.instance, kernel.config(request.instance), kernel.env),
  )
}
