// A config document as OpenCode 2.1 shows it (`GET /api/config`): its native form, translated
// from the 1.x form this server reads (a native file was translated to 1.x as it was loaded, so
// both kinds of file come out the same way). Keys the native form has no place for are left out,
// and secrets are masked, which OpenCode 2.1.2 does not do.
import { isPlainObject, type ConfigObject } from '../../sdk/index.js'

const isString = (value: unknown): value is string => typeof value === 'string'
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

function defined(entries: ConfigObject): ConfigObject {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined))
}

/** What a masked secret reads as. */
export const MASK = '********'
const SECRET_NAME = /(api[-_]?key|token|secret|password|authorization|credential)/i

/** `value` with the entries whose name says they hold a secret masked. */
function masked(value: unknown): ConfigObject | undefined {
  if (!isPlainObject(value)) return undefined
  return Object.fromEntries(
    Object.entries(value).map(([key, entry]) => [key, SECRET_NAME.test(key) && isString(entry) ? MASK : entry]),
  )
}

/** 1.x permission and tool names where 2.1 has another. */
const NATIVE_ACTION: Record<string, string> = { bash: 'shell', task: 'subagent', write: 'edit' }
const action = (name: string) => NATIVE_ACTION[name] ?? name

/** `"provider/model"` (+ a variant) as `{providerID, model, variant?}`. */
function nativeModel(value: unknown, variant?: unknown): ConfigObject | undefined {
  if (!isString(value) || !value.includes('/')) return undefined
  const slash = value.indexOf('/')
  return defined({
    providerID: value.slice(0, slash),
    model: value.slice(slash + 1),
    variant: isString(variant) ? variant : undefined,
  })
}

const EFFECTS = new Set(['allow', 'ask', 'deny'])

/** A 1.x `permission` (and `tools` toggles before it) as 2.1's rules. */
function permissionRules(permission: unknown, tools?: unknown): ConfigObject[] | undefined {
  const rules: ConfigObject[] = []
  if (isPlainObject(tools))
    for (const [tool, enabled] of Object.entries(tools))
      if (typeof enabled === 'boolean')
        rules.push({ action: action(tool), resource: '*', effect: enabled ? 'allow' : 'deny' })
  if (isString(permission) && EFFECTS.has(permission)) rules.push({ action: '*', resource: '*', effect: permission })
  if (isPlainObject(permission)) {
    for (const [name, entry] of Object.entries(permission)) {
      if (isString(entry) && EFFECTS.has(entry)) rules.push({ action: action(name), resource: '*', effect: entry })
      if (isPlainObject(entry))
        for (const [resource, effect] of Object.entries(entry))
          if (isString(effect) && EFFECTS.has(effect)) rules.push({ action: action(name), resource, effect })
    }
  }
  return rules.length > 0 ? rules : undefined
}

const HEX_COLOR = /^#[0-9a-fA-F]{6}$/

function nativeAgent(agent: ConfigObject): ConfigObject {
  const body = defined({
    ...(isPlainObject(agent.options) ? agent.options : {}),
    temperature: isNumber(agent.temperature) ? agent.temperature : undefined,
    top_p: isNumber(agent.top_p) ? agent.top_p : undefined,
  })
  const steps = agent.steps ?? agent.maxSteps
  return defined({
    model: nativeModel(agent.model, agent.variant),
    request: Object.keys(body).length > 0 ? { body } : undefined,
    system: isString(agent.prompt) ? agent.prompt : undefined,
    description: isString(agent.description) ? agent.description : undefined,
    mode: isString(agent.mode) ? agent.mode : undefined,
    hidden: typeof agent.hidden === 'boolean' ? agent.hidden : undefined,
    color: isString(agent.color) && HEX_COLOR.test(agent.color) ? agent.color : undefined,
    steps: Number.isInteger(steps) && (steps as number) > 0 ? steps : undefined,
    disabled: typeof agent.disable === 'boolean' ? agent.disable : undefined,
    permissions: permissionRules(agent.permission, agent.tools),
  })
}

function nativeCommand(command: ConfigObject): ConfigObject {
  return defined({
    template: command.template,
    description: isString(command.description) ? command.description : undefined,
    agent: isString(command.agent) ? command.agent : undefined,
    model: nativeModel(command.model, command.variant),
    subagent: typeof command.subtask === 'boolean' ? command.subtask : undefined,
  })
}

function nativeCost(cost: unknown): ConfigObject[] | ConfigObject | undefined {
  if (!isPlainObject(cost) || !isNumber(cost.input) || !isNumber(cost.output)) return undefined
  const cache = defined({ read: cost.cache_read, write: cost.cache_write })
  const base = defined({ input: cost.input, output: cost.output, cache })
  const long = cost.context_over_200k
  if (!isPlainObject(long) || !isNumber(long.input) || !isNumber(long.output)) return base
  return [base, { tier: { type: 'context', size: 200_000 }, input: long.input, output: long.output, cache: {} }]
}

function nativeModelConfig(model: ConfigObject): ConfigObject {
  const modalities = isPlainObject(model.modalities) ? model.modalities : {}
  const capabilities = defined({
    tools: typeof model.tool_call === 'boolean' ? model.tool_call : undefined,
    reasoning: typeof model.reasoning === 'boolean' ? { supported: model.reasoning } : undefined,
    temperature: typeof model.temperature === 'boolean' ? model.temperature : undefined,
    input: Array.isArray(modalities.input)
      ? modalities.input
      : model.tool_call !== undefined
        ? ['text', 'image']
        : undefined,
    output: Array.isArray(modalities.output) ? modalities.output : model.tool_call !== undefined ? ['text'] : undefined,
  })
  const variants = isPlainObject(model.variants)
    ? Object.entries(model.variants).map(([id, settings]) => ({ id, settings: masked(settings) ?? {} }))
    : undefined
  const provider = isPlainObject(model.provider) ? model.provider : {}
  const limit = isPlainObject(model.limit) ? model.limit : undefined
  return defined({
    modelID: isString(model.id) ? model.id : undefined,
    family: isString(model.family) ? model.family : undefined,
    name: isString(model.name) ? model.name : undefined,
    releaseDate: isString(model.release_date) ? model.release_date : undefined,
    package: isString(provider.npm) ? `aisdk:${provider.npm}` : undefined,
    settings: masked(model.options),
    headers: masked(model.headers),
    capabilities: Object.keys(capabilities).length > 0 ? capabilities : undefined,
    variants,
    cost: nativeCost(model.cost),
    limit: limit ? defined({ context: limit.context, input: limit.input, output: limit.output }) : undefined,
  })
}

function nativeProvider(provider: ConfigObject): ConfigObject {
  const { headers, setCacheKey, ...options } = isPlainObject(provider.options) ? provider.options : {}
  // 1.x's `api` is the provider's base URL unless `options.baseURL` says otherwise.
  if (isString(provider.api) && options.baseURL === undefined) options.baseURL = provider.api
  const models = isPlainObject(provider.models) ? provider.models : undefined
  return defined({
    name: isString(provider.name) ? provider.name : undefined,
    env: Array.isArray(provider.env) ? provider.env : undefined,
    package: isString(provider.npm) ? `aisdk:${provider.npm}` : undefined,
    compatibility: typeof setCacheKey === 'boolean' ? { supportsPromptCacheKey: setCacheKey } : undefined,
    settings: Object.keys(options).length > 0 ? masked(options) : undefined,
    headers: masked(headers),
    models: models && mapObjects(models, nativeModelConfig),
  })
}

function nativeMcpServer(server: ConfigObject): ConfigObject | undefined {
  if (server.type !== 'local' && server.type !== 'remote') return undefined
  const timeout = isNumber(server.timeout)
    ? { startup: server.timeout, catalog: server.timeout, execution: server.timeout }
    : undefined
  const oauth = isPlainObject(server.oauth)
    ? defined({
        client_id: server.oauth.clientId,
        client_secret: isString(server.oauth.clientSecret) ? MASK : undefined,
        scope: server.oauth.scope,
        callback_port: server.oauth.callbackPort,
        redirect_uri: server.oauth.redirectUri,
      })
    : server.oauth === false
      ? false
      : undefined
  return defined({
    type: server.type,
    command: server.type === 'local' ? server.command : undefined,
    url: server.type === 'remote' ? server.url : undefined,
    cwd: isString(server.cwd) ? server.cwd : undefined,
    environment: masked(server.environment),
    headers: masked(server.headers),
    oauth,
    disabled: server.enabled === false ? true : undefined,
    timeout,
  })
}

function mapObjects(value: ConfigObject, map: (entry: ConfigObject) => ConfigObject | undefined): ConfigObject {
  return Object.fromEntries(
    Object.entries(value).flatMap(([key, entry]) => {
      const mapped = isPlainObject(entry) ? map(entry) : undefined
      return mapped === undefined ? [] : [[key, mapped]]
    }),
  )
}

function nativeMcp(config: ConfigObject): ConfigObject | undefined {
  const experimental = isPlainObject(config.experimental) ? config.experimental : {}
  const timeout = isNumber(experimental.mcp_timeout)
    ? { catalog: experimental.mcp_timeout, execution: experimental.mcp_timeout }
    : undefined
  const servers = isPlainObject(config.mcp) ? mapObjects(config.mcp, nativeMcpServer) : {}
  const mcp = defined({ timeout, servers: Object.keys(servers).length > 0 ? servers : undefined })
  return Object.keys(mcp).length > 0 ? mcp : undefined
}

/** `disabled_providers` / `enabled_providers` as `provider.use` policies, after any the file has. */
function nativePolicies(config: ConfigObject): unknown[] | undefined {
  const policies: unknown[] = Array.isArray(config.policies) ? [...config.policies] : []
  const rule = (resource: string, effect: string) => ({ action: 'provider.use', resource, effect })
  if (Array.isArray(config.enabled_providers)) {
    policies.push(rule('*', 'deny'))
    for (const id of config.enabled_providers.filter(isString)) policies.push(rule(id, 'allow'))
  }
  if (Array.isArray(config.disabled_providers))
    for (const id of config.disabled_providers.filter(isString)) policies.push(rule(id, 'deny'))
  return policies.length > 0 ? policies : undefined
}

// Keys with the same name and shape in both forms.
const SHARED_KEYS = [
  '$schema',
  'shell',
  'default_agent',
  'share',
  'enterprise',
  'username',
  'watcher',
  'formatter',
  'lsp',
  'tool_output',
  'instructions',
  'references',
  'websearch',
  'worktree',
  'warming',
]
const AUTOUPDATE: Record<string, string> = { true: 'auto', false: 'disable', notify: 'notify' }
const NATIVE_EXPERIMENTAL = ['portable_shell_scanner', 'todo', 'location_idle_timeout', 'policies']

function nativeExperimental(config: ConfigObject): ConfigObject | undefined {
  const experimental = isPlainObject(config.experimental) ? config.experimental : {}
  const kept = defined({
    ...Object.fromEntries(NATIVE_EXPERIMENTAL.map((key) => [key, experimental[key]])),
    subagent_depth: config.subagent_depth ?? experimental.subagent_depth,
  })
  return Object.keys(kept).length > 0 ? kept : undefined
}

function nativeCompaction(compaction: unknown): ConfigObject | undefined {
  if (!isPlainObject(compaction)) return undefined
  const { preserve_recent_tokens: tokens, reserved } = compaction
  return defined({
    auto: typeof compaction.auto === 'boolean' ? compaction.auto : undefined,
    keep: isNumber(tokens) ? { tokens } : undefined,
    buffer: isNumber(reserved) ? reserved : undefined,
  })
}

function nativeSkills(skills: unknown): string[] | undefined {
  if (!isPlainObject(skills)) return undefined
  const entries = [skills.paths, skills.urls].flatMap((list) => (Array.isArray(list) ? list.filter(isString) : []))
  return entries.length > 0 ? entries : undefined
}

function nativePlugins(plugins: unknown): unknown[] | undefined {
  if (!Array.isArray(plugins)) return undefined
  return plugins.flatMap((entry): unknown[] =>
    isString(entry)
      ? [entry]
      : Array.isArray(entry) && isString(entry[0])
        ? [defined({ package: entry[0], options: isPlainObject(entry[1]) ? entry[1] : undefined })]
        : [],
  )
}

/** A config in the 1.x form as OpenCode 2.1's native `Config.Info`, secrets masked. */
export function toNativeConfig(config: ConfigObject): ConfigObject {
  const shared = Object.fromEntries(SHARED_KEYS.map((key) => [key, config[key]]))
  const agentEntries = {
    ...(isPlainObject(config.mode) ? config.mode : {}),
    ...(isPlainObject(config.agent) ? config.agent : {}),
  }
  const agents = mapObjects(agentEntries, nativeAgent)
  const small = nativeModel(config.small_model)
  if (small) agents.title = { ...(isPlainObject(agents.title) ? agents.title : {}), model: small }
  return defined({
    ...shared,
    model: nativeModel(config.model),
    update: AUTOUPDATE[String(config.autoupdate)],
    permissions: permissionRules(config.permission, config.tools),
    policies: nativePolicies(config),
    agents: Object.keys(agents).length > 0 ? agents : undefined,
    snapshots: typeof config.snapshot === 'boolean' ? config.snapshot : undefined,
    media: isPlainObject(config.attachment) ? config.attachment : undefined,
    mcp: nativeMcp(config),
    compaction: nativeCompaction(config.compaction),
    skills: nativeSkills(config.skills),
    commands: isPlainObject(config.command) ? mapObjects(config.command, nativeCommand) : undefined,
    plugins: nativePlugins(config.plugin),
    providers: isPlainObject(config.provider) ? mapObjects(config.provider, nativeProvider) : undefined,
    experimental: nativeExperimental(config),
  })
}
