// What the connected servers offer besides tools: resources (v1's map, 2.1's catalog) and
// resource templates. A server that fails to list them is left out (and logged).
import type { McpKernel } from './index.js'
import type { McpServer } from './connection.js'
import type { McpResource } from './schemas.js'

/** Listing takes at most this long per server unless its config says otherwise. */
const DEFAULT_TIMEOUT_MS = 5000

export interface CatalogResource {
  server: string
  name: string
  uri: string
  description?: string
  mimeType?: string
}

export interface CatalogTemplate {
  server: string
  name: string
  uriTemplate: string
  description?: string
  mimeType?: string
}

export interface ResourceCatalog {
  resources: CatalogResource[]
  templates: CatalogTemplate[]
}

type Listed = { name: string; description?: string; mimeType?: string }

const described = (item: Listed) => ({
  ...(item.description ? { description: item.description } : {}),
  ...(item.mimeType ? { mimeType: item.mimeType } : {}),
})

/** Each connected server's resources and templates, by server name (a server without the capability is skipped). */
export async function resourceCatalog(kernel: Pick<McpKernel, 'log'>, servers: McpServer[]): Promise<ResourceCatalog> {
  const catalog: ResourceCatalog = { resources: [], templates: [] }
  const byName = [...servers].sort((a, b) => a.name.localeCompare(b.name))
  const listed = await Promise.all(
    byName.map(async (server) => {
      const client = server.client
      if (!client?.getServerCapabilities()?.resources) return undefined
      const options = { timeout: server.config?.timeout ?? DEFAULT_TIMEOUT_MS }
      try {
        const [{ resources }, templates] = await Promise.all([
          client.listResources(undefined, options),
          client.listResourceTemplates(undefined, options).catch(() => ({ resourceTemplates: [] })),
        ])
        return { server: server.name, resources, templates: templates.resourceTemplates }
      } catch (error) {
        kernel.log.warn({ err: error, server: server.name }, 'listing MCP resources failed')
        return undefined
      }
    }),
  )
  for (const entry of listed) {
    if (!entry) continue
    for (const resource of entry.resources)
      catalog.resources.push({ server: entry.server, name: resource.name, uri: resource.uri, ...described(resource) })
    for (const template of entry.templates)
      catalog.templates.push({
        server: entry.server,
        name: template.name,
        uriTemplate: template.uriTemplate,
        ...described(template),
      })
  }
  return catalog
}

/** v1's view: resources keyed `<server>:<uri>`. */
export async function resourceMap(
  kernel: Pick<McpKernel, 'log'>,
  servers: McpServer[],
): Promise<Record<string, McpResource>> {
  const { resources } = await resourceCatalog(kernel, servers)
  return Object.fromEntries(
    resources.map((resource) => [
      `${resource.server}:${resource.uri}`,
      {
        name: resource.name,
        uri: resource.uri,
        client: resource.server,
        ...(resource.mimeType ? { mimeType: resource.mimeType } : {}),
      },
    ]),
  )
}
