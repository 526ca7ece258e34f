import { Type } from 'typebox'
import { StringEnum, named } from '../../sdk/index.js'

/** One OpenCode plugin of the instance: where it came from, what it hooks, and why it failed. */
export const OpencodePluginInfo = named(
  'OpencodePlugin.Info',
  Type.Object({
    name: Type.String(),
    source: StringEnum(['npm', 'file'] as const),
    /** As written in config, or the plugin file's path. */
    spec: Type.String(),
    /** The config file or plugin folder that named it. */
    origin: Type.String(),
    entry: Type.Optional(Type.String()),
    version: Type.Optional(Type.String()),
    status: StringEnum(['loaded', 'failed'] as const),
    hooks: Type.Array(Type.String()),
    tools: Type.Array(Type.String()),
    error: Type.Optional(Type.String()),
  }),
)
