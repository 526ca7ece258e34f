import { Type } from 'typebox'
import { named } from '../../sdk/index.js'

const PluginSource = Type.Union([
  Type.Object({ type: Type.Literal('builtin') }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('package'),
      target: Type.String(),
      version: Type.Optional(Type.String()),
      outdated: Type.Optional(Type.Literal(true)),
      updating: Type.Optional(Type.Literal(true)),
    },
    { additionalProperties: false },
  ),
  Type.Object({ type: Type.Literal('local'), path: Type.String() }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('sdk') }, { additionalProperties: false }),
])

/** OpenCode 2.1's `Plugin.Info`: one plugin of a location, where it came from, and whether it runs. */
export const PluginInfo = named(
  'Plugin.Info',
  Type.Object(
    {
      id: Type.Optional(Type.String()),
      source: PluginSource,
      features: Type.Object(
        {
          server: Type.Optional(Type.Literal(true)),
          tui: Type.Optional(Type.Literal(true)),
          rpc: Type.Optional(Type.Literal(true)),
        },
        { additionalProperties: false },
      ),
      state: Type.Union([
        Type.Object({ status: Type.Literal('active') }, { additionalProperties: false }),
        Type.Object(
          { status: Type.Literal('failed'), error: Type.String(), ref: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
      ]),
    },
    { additionalProperties: false },
  ),
)

/** 400 of `rpc.call`: the RPC refused the call (`type` says why: `rpc.unavailable`, a plugin's own type ...). */
export const RpcErrorBody = named(
  'RpcError',
  Type.Object(
    {
      _tag: Type.Literal('RpcError'),
      type: Type.String(),
      message: Type.String(),
      data: Type.Optional(Type.Unknown()),
    },
    { additionalProperties: false },
  ),
)

/** 500 of `rpc.call`: the handler failed, or answered what its output schema refuses. */
export const RpcInternalErrorBody = named(
  'RpcInternalError',
  Type.Object(
    {
      _tag: Type.Literal('RpcInternalError'),
      type: Type.Union([Type.Literal('rpc.internal'), Type.Literal('rpc.invalid_output')]),
      message: Type.String(),
      data: Type.Optional(Type.Unknown()),
    },
    { additionalProperties: false },
  ),
)

export const PLUGIN_SCHEMAS = [PluginInfo, RpcErrorBody, RpcInternalErrorBody]
