import type { ToolDefinition } from '../../sdk/index.js'
import type { ChildSet } from './shell.js'

/** What an OpenCode plugin function returned: its hooks by name (`tool`, `event`, `chat.params` ...). */
export type Hooks = Record<string, unknown>

/** One OpenCode plugin of an instance, as `GET /plugin` shows it. */
export interface PluginRecord {
  name: string
  source: 'npm' | 'file'
  spec: string
  /** The config file or folder that named it. */
  origin: string
  entry?: string
  version?: string
  status: 'loaded' | 'failed'
  hooks: string[]
  tools: string[]
  error?: string
}

/** The OpenCode plugins of one instance, kept in its state. */
export interface InstancePlugins {
  ready: Promise<void>
  loaded: { name: string; hooks: Hooks }[]
  records: PluginRecord[]
  tools: Map<string, ToolDefinition>
  children: ChildSet
  unsubscribe?: () => void
}
