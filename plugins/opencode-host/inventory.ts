import type { PluginInventoryEntry } from '../../sdk/plugin-inventory.js'
import type { PluginRecord } from './types.js'

/** An OpenCode plugin of the instance as `GET /api/plugin` lists it (OpenCode 2.1's `Plugin.Info`). */
export function inventoryEntry(record: PluginRecord): PluginInventoryEntry {
  const source: PluginInventoryEntry['source'] =
    record.source === 'npm'
      ? { type: 'package', target: record.spec, ...(record.version ? { version: record.version } : {}) }
      : { type: 'local', path: record.entry ?? (record.spec || record.origin) }
  return {
    id: record.name,
    source,
    features: { server: true },
    state: record.status === 'loaded' ? { status: 'active' } : { status: 'failed', error: record.error ?? 'failed' },
    ...(record.entry ? { entry: record.entry } : {}),
  }
}
