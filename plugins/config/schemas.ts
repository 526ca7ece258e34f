// OpenCode's config shapes (components `Config`, `ProviderConfig`, `AgentConfig` ...). Precise
// where a wrong value would break a feature (enums, colours, MCP entries, permissions);
// permissive elsewhere: OpenCode ignores keys it does not know, and so do we.
import { Type, type Static, type TSchema } from 'typebox'
import { StringEnum, named, ref } from '../../sdk/index.js'

const Strings = Type.Array(Type.String())
const StringMap = Type.Object({}, { additionalProperties: Type.String() })
const AnyObject = Type.Object({}, { additionalProperties: true })
const PositiveInteger = Type.Integer({ exclusiveMinimum: 0 })
const HexColor = Type.String({ pattern: '^#[0-9a-fA-F]{6}$' })

export const PermissionActionConfig = named('PermissionActionConfig', StringEnum(['ask', 'allow', 'deny']))

export const PermissionObjectConfig = named(
  'PermissionObjectConfig',
  Type.Object({}, { additionalProperties: ref(PermissionActionConfig), description: 'Glob pattern → action' }),
)

export const PermissionRuleConfig = named(
  'PermissionRuleConfig',
  Type.Union([ref(PermissionActionConfig), ref(PermissionObjectConfig)]),
)

/** One action for everything, or per permission (`bash`, `edit`, `read` ...) an action or `{ pattern: action }`. */
export const PermissionConfig = named(
  'PermissionConfig',
  Type.Union([
    ref(PermissionActionConfig),
    Type.Object(
      {
        read: Type.Optional(ref(PermissionRuleConfig)),
        edit: Type.Optional(ref(PermissionRuleConfig)),
        glob: Type.Optional(ref(PermissionRuleConfig)),
        grep: Type.Optional(ref(PermissionRuleConfig)),
        list: Type.Optional(ref(PermissionRuleConfig)),
        bash: Type.Optional(ref(PermissionRuleConfig)),
        task: Type.Optional(ref(PermissionRuleConfig)),
        external_directory: Type.Optional(ref(PermissionRuleConfig)),
        todowrite: Type.Optional(ref(PermissionActionConfig)),
        question: Type.Optional(ref(PermissionActionConfig)),
        webfetch: Type.Optional(ref(PermissionActionConfig)),
        websearch: Type.Optional(ref(PermissionActionConfig)),
        lsp: Type.Optional(ref(PermissionRuleConfig)),
        doom_loop: Type.Optional(ref(PermissionActionConfig)),
        skill: Type.Optional(ref(PermissionRuleConfig)),
      },
      { additionalProperties: ref(PermissionRuleConfig) },
    ),
  ]),
)

export const AgentConfig = named(
  'AgentConfig',
  Type.Object(
    {
      model: Type.Optional(Type.String({ description: 'provider/model' })),
      variant: Type.Optional(Type.String()),
      temperature: Type.Optional(Type.Number()),
      top_p: Type.Optional(Type.Number()),
      prompt: Type.Optional(Type.String()),
      tools: Type.Optional(Type.Object({}, { additionalProperties: Type.Boolean() })),
      disable: Type.Optional(Type.Boolean()),
      description: Type.Optional(Type.String({ description: 'When to use the agent' })),
      mode: Type.Optional(StringEnum(['subagent', 'primary', 'all'])),
      hidden: Type.Optional(Type.Boolean()),
      options: Type.Optional(AnyObject),
      color: Type.Optional(
        Type.Union([HexColor, StringEnum(['primary', 'secondary', 'accent', 'success', 'warning', 'error', 'info'])]),
      ),
      steps: Type.Optional(PositiveInteger),
      maxSteps: Type.Optional(PositiveInteger),
      permission: Type.Optional(ref(PermissionConfig)),
    },
    { additionalProperties: true },
  ),
)

const Timeout = Type.Union([PositiveInteger, Type.Literal(false)])
const Modalities = Type.Array(StringEnum(['text', 'audio', 'image', 'video', 'pdf']))

const ModelConfig = Type.Object({
  id: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  family: Type.Optional(Type.String()),
  release_date: Type.Optional(Type.String()),
  attachment: Type.Optional(Type.Boolean()),
  reasoning: Type.Optional(Type.Boolean()),
  temperature: Type.Optional(Type.Boolean()),
  tool_call: Type.Optional(Type.Boolean()),
  interleaved: Type.Optional(Type.Union([Type.Boolean(), Type.String(), Type.Object({ field: Type.String() })])),
  cost: Type.Optional(
    Type.Object({
      input: Type.Number(),
      output: Type.Number(),
      cache_read: Type.Optional(Type.Number()),
      cache_write: Type.Optional(Type.Number()),
      context_over_200k: Type.Optional(Type.Object({ input: Type.Number(), output: Type.Number() })),
    }),
  ),
  limit: Type.Optional(
    Type.Object({ context: Type.Number(), input: Type.Optional(Type.Number()), output: Type.Number() }),
  ),
  modalities: Type.Optional(Type.Object({ input: Type.Optional(Modalities), output: Type.Optional(Modalities) })),
  experimental: Type.Optional(Type.Boolean()),
  status: Type.Optional(StringEnum(['alpha', 'beta', 'deprecated', 'active'])),
  provider: Type.Optional(Type.Object({ npm: Type.Optional(Type.String()), api: Type.Optional(Type.String()) })),
  options: Type.Optional(AnyObject),
  headers: Type.Optional(StringMap),
  variants: Type.Optional(
    Type.Object({}, { additionalProperties: Type.Object({ disabled: Type.Optional(Type.Boolean()) }) }),
  ),
})

export const ProviderConfig = named(
  'ProviderConfig',
  Type.Object({
    api: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    env: Type.Optional(Strings),
    id: Type.Optional(Type.String()),
    npm: Type.Optional(Type.String()),
    whitelist: Type.Optional(Strings),
    blacklist: Type.Optional(Strings),
    options: Type.Optional(
      Type.Object(
        {
          apiKey: Type.Optional(Type.String()),
          baseURL: Type.Optional(Type.String()),
          enterpriseUrl: Type.Optional(Type.String()),
          setCacheKey: Type.Optional(Type.Boolean()),
          timeout: Type.Optional(Timeout),
          headerTimeout: Type.Optional(Timeout),
          chunkTimeout: Type.Optional(Timeout),
        },
        { additionalProperties: true },
      ),
    ),
    models: Type.Optional(Type.Object({}, { additionalProperties: ModelConfig })),
  }),
)

export const McpLocalConfig = named(
  'McpLocalConfig',
  Type.Object({
    type: Type.Literal('local'),
    command: Type.Array(Type.String(), { minItems: 1, description: 'Command and arguments that start the server' }),
    cwd: Type.Optional(Type.String()),
    environment: Type.Optional(StringMap),
    enabled: Type.Optional(Type.Boolean()),
    timeout: Type.Optional(PositiveInteger),
  }),
)

export const McpOAuthConfig = named(
  'McpOAuthConfig',
  Type.Object({
    clientId: Type.Optional(Type.String()),
    clientSecret: Type.Optional(Type.String()),
    scope: Type.Optional(Type.String()),
    callbackPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
    redirectUri: Type.Optional(Type.String()),
  }),
)

export const McpRemoteConfig = named(
  'McpRemoteConfig',
  Type.Object({
    type: Type.Literal('remote'),
    url: Type.String({ minLength: 1 }),
    enabled: Type.Optional(Type.Boolean()),
    headers: Type.Optional(StringMap),
    oauth: Type.Optional(Type.Union([ref(McpOAuthConfig), Type.Literal(false)])),
    timeout: Type.Optional(PositiveInteger),
  }),
)

export const LayoutConfig = named('LayoutConfig', StringEnum(['auto', 'stretch']))

export const KeybindsConfig = named(
  'KeybindsConfig',
  Type.Object(
    { leader: Type.Optional(Type.String()) },
    { additionalProperties: Type.String(), description: 'Action → key combination' },
  ),
)

/** A formatter entry of `formatter`: overrides a built-in one (by name) or adds one. */
export const FormatterConfig = named(
  'FormatterConfig',
  Type.Object({
    disabled: Type.Optional(Type.Boolean()),
    command: Type.Optional(
      Type.Array(Type.String(), { minItems: 1, description: '`$FILE` is replaced by the file to format' }),
    ),
    environment: Type.Optional(StringMap),
    extensions: Type.Optional(Strings),
  }),
)

/** A language server entry of `lsp`: overrides a built-in one (by id) or adds one. */
export const LspServerConfig = named(
  'LspServerConfig',
  Type.Object({
    disabled: Type.Optional(Type.Boolean()),
    command: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
    extensions: Type.Optional(Strings),
    env: Type.Optional(StringMap),
    environment: Type.Optional(StringMap),
    initialization: Type.Optional(AnyObject),
  }),
)

const CommandConfig = Type.Object({
  template: Type.String(),
  description: Type.Optional(Type.String()),
  agent: Type.Optional(Type.String()),
  model: Type.Optional(Type.String()),
  variant: Type.Optional(Type.String()),
  subtask: Type.Optional(Type.Boolean()),
})

const Reference = Type.Union([
  Type.String(),
  Type.Object({
    repository: Type.String(),
    branch: Type.Optional(Type.String()),
    hidden: Type.Optional(Type.Boolean()),
    description: Type.Optional(Type.String()),
  }),
  Type.Object({
    path: Type.String(),
    hidden: Type.Optional(Type.Boolean()),
    description: Type.Optional(Type.String()),
  }),
])

/** The keys of `Config`, shared with the `config.updated` event. */
export const ConfigProperties = {
  $schema: Type.Optional(Type.String({ description: 'JSON schema reference for editors' })),
  theme: Type.Optional(Type.String()),
  keybinds: Type.Optional(ref(KeybindsConfig)),
  logLevel: Type.Optional(StringEnum(['DEBUG', 'INFO', 'WARN', 'ERROR'])),
  tui: Type.Optional(
    Type.Object({
      scroll_speed: Type.Optional(Type.Number({ minimum: 0 })),
      scroll_acceleration: Type.Optional(Type.Object({ enabled: Type.Boolean() })),
      diff_style: Type.Optional(StringEnum(['auto', 'stacked'])),
    }),
  ),
  shell: Type.Optional(Type.String()),
  server: Type.Optional(
    Type.Object({
      port: Type.Optional(PositiveInteger),
      hostname: Type.Optional(Type.String()),
      mdns: Type.Optional(Type.Boolean()),
      mdnsDomain: Type.Optional(Type.String()),
      cors: Type.Optional(Strings),
    }),
  ),
  command: Type.Optional(Type.Object({}, { additionalProperties: CommandConfig })),
  skills: Type.Optional(Type.Object({ paths: Type.Optional(Strings), urls: Type.Optional(Strings) })),
  references: Type.Optional(Type.Object({}, { additionalProperties: Reference })),
  reference: Type.Optional(Type.Object({}, { additionalProperties: Reference })),
  watcher: Type.Optional(Type.Object({ ignore: Type.Optional(Strings) })),
  plugin: Type.Optional(
    Type.Array(
      Type.Union([
        Type.String(),
        Type.Array(Type.Unknown(), { minItems: 1, maxItems: 2, description: '[package, options]' }),
      ]),
      { description: 'Packages or paths of plugins; lists from every source are joined' },
    ),
  ),
  snapshot: Type.Optional(Type.Boolean()),
  share: Type.Optional(StringEnum(['manual', 'auto', 'disabled'])),
  autoshare: Type.Optional(Type.Boolean()),
  autoupdate: Type.Optional(Type.Union([Type.Boolean(), Type.Literal('notify')])),
  disabled_providers: Type.Optional(Strings),
  enabled_providers: Type.Optional(Strings),
  model: Type.Optional(Type.String({ description: 'provider/model' })),
  small_model: Type.Optional(Type.String({ description: 'provider/model for titles and summaries' })),
  default_agent: Type.Optional(Type.String()),
  subagent_depth: Type.Optional(Type.Integer({ minimum: 0 })),
  username: Type.Optional(Type.String()),
  mode: Type.Optional(
    Type.Object({}, { additionalProperties: ref(AgentConfig), description: 'Deprecated: use `agent`' }),
  ),
  agent: Type.Optional(Type.Object({}, { additionalProperties: ref(AgentConfig) })),
  provider: Type.Optional(Type.Object({}, { additionalProperties: ref(ProviderConfig) })),
  mcp: Type.Optional(
    Type.Object(
      {},
      {
        additionalProperties: Type.Union([
          ref(McpLocalConfig),
          ref(McpRemoteConfig),
          Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }),
        ]),
      },
    ),
  ),
  formatter: Type.Optional(
    Type.Union([Type.Boolean(), Type.Object({}, { additionalProperties: ref(FormatterConfig) })]),
  ),
  lsp: Type.Optional(Type.Union([Type.Boolean(), Type.Object({}, { additionalProperties: ref(LspServerConfig) })])),
  instructions: Type.Optional(
    Type.Array(Type.String(), { description: 'Instruction files or globs; lists from every source are joined' }),
  ),
  layout: Type.Optional(ref(LayoutConfig)),
  permission: Type.Optional(ref(PermissionConfig)),
  tools: Type.Optional(Type.Object({}, { additionalProperties: Type.Boolean() })),
  attachment: Type.Optional(
    Type.Object({
      image: Type.Optional(
        Type.Object({
          auto_resize: Type.Optional(Type.Boolean()),
          max_width: Type.Optional(PositiveInteger),
          max_height: Type.Optional(PositiveInteger),
          max_base64_bytes: Type.Optional(PositiveInteger),
        }),
      ),
    }),
  ),
  enterprise: Type.Optional(Type.Object({ url: Type.Optional(Type.String()) })),
  tool_output: Type.Optional(
    Type.Object({ max_lines: Type.Optional(PositiveInteger), max_bytes: Type.Optional(PositiveInteger) }),
  ),
  compaction: Type.Optional(
    Type.Object({
      auto: Type.Optional(Type.Boolean()),
      prune: Type.Optional(Type.Boolean()),
      tail_turns: Type.Optional(Type.Integer({ minimum: 0 })),
      preserve_recent_tokens: Type.Optional(Type.Integer({ minimum: 0 })),
      reserved: Type.Optional(Type.Integer({ minimum: 0 })),
    }),
  ),
  experimental: Type.Optional(
    Type.Object(
      {
        disable_paste_summary: Type.Optional(Type.Boolean()),
        batch_tool: Type.Optional(Type.Boolean()),
        openTelemetry: Type.Optional(Type.Boolean()),
        primary_tools: Type.Optional(Strings),
        continue_loop_on_deny: Type.Optional(Type.Boolean()),
        mcp_timeout: Type.Optional(PositiveInteger),
        chatMaxRetries: Type.Optional(Type.Integer({ minimum: 0 })),
      },
      { additionalProperties: true },
    ),
  ),
}

/** OpenCode's config (`opencode.json`); keys it does not own are kept. */
export const Config = named('Config', Type.Object(ConfigProperties, { additionalProperties: true }))
export type Config = Static<typeof Config> & Record<string, unknown>

/** Every named schema `Config` refers to, in an order where each comes after what it uses. */
export const CONFIG_SCHEMAS = [
  PermissionActionConfig,
  PermissionObjectConfig,
  PermissionRuleConfig,
  PermissionConfig,
  AgentConfig,
  ProviderConfig,
  McpLocalConfig,
  McpOAuthConfig,
  McpRemoteConfig,
  LayoutConfig,
  KeybindsConfig,
  FormatterConfig,
  LspServerConfig,
  Config,
] as const satisfies readonly (TSchema & { $id: string })[]

/** The answer of a route that needs config when a file cannot be used (400, as in OpenCode). */
export const ConfigInvalidErrorBody = named(
  'ConfigInvalidError',
  Type.Object({
    name: Type.Literal('ConfigInvalidError'),
    data: Type.Object(
      {
        message: Type.String({ description: '`path:line:column: problem`' }),
        path: Type.String(),
        line: Type.Optional(Type.Integer({ minimum: 1 })),
        column: Type.Optional(Type.Integer({ minimum: 1 })),
      },
      { additionalProperties: true },
    ),
  }),
)
