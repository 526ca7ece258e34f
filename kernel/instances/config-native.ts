// OpenCode 2.1 reads a config written in its native form (`providers`, `agents`, `commands`,
// `permissions` rules, `mcp.servers`, `plugins`, models as `{providerID, model}` …) as well as the
// 1.x form. Every plugin of this server reads the 1.x form, so a native file is translated to it
// as it is parsed; keys of the 1.x form in the same file win over translated ones.

type ConfigObject = Record<string, unknown>

const isObject = (value: unknown): value is ConfigObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
const isString = (value: unknown): value is string => typeof value === 'string'
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

/** Copies the entries whose value is defined. */
function defined(entries: ConfigObject): ConfigObject {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined))
}

/** 2.1's permission and tool names where 1.x has another. */
const LEGACY_ACTION: Record<string, string> = { shell: 'bash', subagent: 'task' }

/** `{providerID, model, variant?}` or `"provider/model#variant"`: the 1.x `provider/model` and the variant. */
export function nativeModel(value: unknown): { model?: string; variant?: string } {
  if (isString(value)) {
    const [model, variant] = value.split('#', 2)
    return defined({ model: model || undefined, variant: variant || undefined })
  }
  if (!isObject(value) || !isString(value.providerID) || !isString(value.model)) return {}
  return defined({
    model: `${value.providerID}/${value.model}`,
    variant: isString(value.variant) ? value.variant : undefined,
  })
}

/** `[{action, resource, effect}]` (last match wins) as 1.x's `{ permission: { pattern: action } }`. */
export function permissionFromRules(rules: unknown): ConfigObject | undefined {
  if (!Array.isArray(rules)) return undefined
  const permission: Record<string, Record<string, string>> = {}
  for (const rule of rules) {
    if (!isObject(rule) || !isString(rule.action) || !isString(rule.resource) || !isString(rule.effect)) continue
    const action = LEGACY_ACTION[rule.action] ?? rule.action
    const patterns = (permission[action] ??= {})
    // A pattern set again moves to the end, so the later rule still wins.
    delete patterns[rule.resource]
    patterns[rule.resource] = rule.effect
  }
  return Object.fromEntries(
    Object.entries(permission).map(([action, patterns]) => {
      const keys = Object.keys(patterns)
      return [action, keys.length === 1 && keys[0] === '*' ? patterns['*']! : patterns]
    }),
  )
}

const MODALITIES = new Set(['text', 'audio', 'image', 'video', 'pdf'])
const modalities = (value: unknown) =>
  Array.isArray(value) ? value.filter((item) => isString(item) && MODALITIES.has(item)) : undefined

/** A native model `cost` (one price or tiers) as 1.x's `{input, output, cache_read?, cache_write?, context_over_200k?}`. */
function legacyCost(value: unknown): ConfigObject | undefined {
  const tiers = (Array.isArray(value) ? value : [value]).filter(isObject)
  const base = tiers.find((tier) => tier.tier === undefined)
  if (!base || !isNumber(base.input) || !isNumber(base.output)) return undefined
  const cache = isObject(base.cache) ? base.cache : {}
  const long = tiers.find((tier) => isObject(tier.tier) && tier.tier.size === 200_000)
  return defined({
    input: base.input,
    output: base.output,
    cache_read: isNumber(cache.read) ? cache.read : undefined,
    cache_write: isNumber(cache.write) ? cache.write : undefined,
    context_over_200k:
      long && isNumber(long.input) && isNumber(long.output) ? { input: long.input, output: long.output } : undefined,
  })
}

/** `source` merged into `target`, objects key by key, anything else replaced. */
function deepMerge(target: ConfigObject, source: ConfigObject): ConfigObject {
  const out: ConfigObject = { ...target }
  for (const [key, value] of Object.entries(source)) {
    const current = out[key]
    out[key] = isObject(current) && isObject(value) ? deepMerge(current, value) : value
  }
  return out
}

/** The package a native `package` names: `aisdk:<npm>` is the npm package. */
const npmOf = (value: unknown) => (isString(value) ? value.replace(/^aisdk:/, '') : undefined)

function legacyModel(native: ConfigObject): ConfigObject {
  const {
    modelID,
    releaseDate,
    package: pkg,
    settings,
    capabilities,
    variants,
    cost,
    limit,
    disabled: _disabled,
    compatibility: _compatibility,
    body: _body,
    ...rest
  } = native
  const caps = isObject(capabilities) ? capabilities : {}
  const input = modalities(caps.input)
  const output = modalities(caps.output)
  const reasoning = isObject(caps.reasoning) ? caps.reasoning.supported : caps.reasoning
  const limits = isObject(limit) && isNumber(limit.context) && isNumber(limit.output) ? limit : undefined
  return defined({
    ...rest,
    id: isString(modelID) ? modelID : undefined,
    release_date: isString(releaseDate) ? releaseDate : undefined,
    provider: npmOf(pkg) ? { npm: npmOf(pkg) } : undefined,
    options: isObject(settings) ? settings : undefined,
    tool_call: typeof caps.tools === 'boolean' ? caps.tools : undefined,
    reasoning: typeof reasoning === 'boolean' ? reasoning : undefined,
    temperature: typeof caps.temperature === 'boolean' ? caps.temperature : undefined,
    attachment: input ? input.some((kind) => kind === 'image' || kind === 'pdf') : undefined,
    modalities: input || output ? defined({ input, output }) : undefined,
    variants: Array.isArray(variants)
      ? Object.fromEntries(
          variants
            .filter((variant): variant is ConfigObject => isObject(variant) && isString(variant.id))
            .map((variant) => [variant.id as string, isObject(variant.settings) ? variant.settings : {}]),
        )
      : undefined,
    cost: legacyCost(cost),
    // 1.x needs both numbers; a partial limit is left to the model's defaults.
    limit: limits ? defined({ context: limits.context, input: limits.input, output: limits.output }) : undefined,
  })
}

function legacyProvider(native: ConfigObject): ConfigObject {
  const { package: pkg, settings, headers, compatibility, models, canonical: _canonical, body: _body, ...rest } = native
  const options: ConfigObject = { ...(isObject(settings) ? settings : {}) }
  if (isObject(headers)) options.headers = headers
  if (isObject(compatibility) && typeof compatibility.supportsPromptCacheKey === 'boolean')
    options.setCacheKey = compatibility.supportsPromptCacheKey
  const entries = isObject(models)
    ? Object.entries(models).filter((entry): entry is [string, ConfigObject] => isObject(entry[1]))
    : []
  const blacklist = entries.filter(([, model]) => model.disabled === true).map(([id]) => id)
  return defined({
    ...rest,
    npm: npmOf(pkg),
    options: Object.keys(options).length > 0 ? options : undefined,
    models: isObject(models) ? Object.fromEntries(entries.map(([id, model]) => [id, legacyModel(model)])) : undefined,
    blacklist: blacklist.length > 0 ? blacklist : undefined,
  })
}

function legacyAgent(native: ConfigObject): ConfigObject {
  const { model, system, disabled, permissions, request, ...rest } = native
  const { temperature, top_p, ...options } = isObject(request) && isObject(request.body) ? request.body : {}
  const { model: name, variant } = nativeModel(model)
  return defined({
    ...rest,
    model: name,
    variant,
    prompt: isString(system) ? system : undefined,
    disable: typeof disabled === 'boolean' ? disabled : undefined,
    permission: permissionFromRules(permissions),
    temperature: isNumber(temperature) ? temperature : undefined,
    top_p: isNumber(top_p) ? top_p : undefined,
    options: Object.keys(options).length > 0 ? options : undefined,
  })
}

function legacyCommand(native: ConfigObject): ConfigObject {
  const { model, subagent, ...rest } = native
  const { model: name, variant } = nativeModel(model)
  return defined({ ...rest, model: name, variant: rest.variant ?? variant, subtask: rest.subtask ?? subagent })
}

const TIMEOUT_KEYS = ['catalog', 'execution', 'startup'] as const
/** A native MCP `timeout` object as 1.x's one number of milliseconds. */
const legacyTimeout = (value: unknown) =>
  isObject(value) ? TIMEOUT_KEYS.map((key) => value[key]).find(isNumber) : isNumber(value) ? value : undefined

function legacyMcpServer(native: ConfigObject): ConfigObject {
  const { disabled, timeout, oauth, ...rest } = native
  const legacyOauth = isObject(oauth)
    ? defined({
        clientId: oauth.client_id,
        clientSecret: oauth.client_secret,
        scope: oauth.scope,
        callbackPort: oauth.callback_port,
        redirectUri: oauth.redirect_uri,
      })
    : oauth
  return defined({
    ...rest,
    enabled: typeof disabled === 'boolean' ? !disabled : undefined,
    timeout: legacyTimeout(timeout),
    oauth: legacyOauth,
  })
}

/** Native `mcp` is `{timeout?, servers?}`; 1.x's is one entry per server (each with a `type`). */
function isNativeMcp(value: unknown): value is ConfigObject {
  if (!isObject(value) || (value.servers === undefined && value.timeout === undefined)) return false
  return [value.servers, value.timeout].every(
    (entry) => entry === undefined || (isObject(entry) && !isString(entry.type)),
  )
}

/** `plugins: ["pkg", {package, options}]` as 1.x's `plugin: ["pkg", ["pkg", options]]`. */
const legacyPlugins = (value: unknown[]) =>
  value.flatMap((entry) =>
    isString(entry)
      ? [entry]
      : isObject(entry) && isString(entry.package)
        ? [entry.options === undefined ? entry.package : [entry.package, entry.options]]
        : [],
  )

/** `policies` on `provider.use` as 1.x's `enabled_providers` / `disabled_providers`. */
function providerPolicies(value: unknown): ConfigObject {
  const rules = Array.isArray(value) ? value.filter(isObject).filter((rule) => rule.action === 'provider.use') : []
  const resources = (effect: string) =>
    rules
      .filter((rule) => rule.effect === effect && isString(rule.resource) && rule.resource !== '*')
      .map((rule) => rule.resource as string)
  const allowOnly = rules.some((rule) => rule.effect === 'deny' && rule.resource === '*')
  const disabled = resources('deny')
  return defined({
    enabled_providers: allowOnly ? resources('allow') : undefined,
    disabled_providers: disabled.length > 0 ? disabled : undefined,
  })
}

const mapValues = (value: unknown, map: (entry: ConfigObject) => ConfigObject) =>
  isObject(value)
    ? Object.fromEntries(Object.entries(value).flatMap(([key, entry]) => (isObject(entry) ? [[key, map(entry)]] : [])))
    : undefined

const UPDATE: Record<string, unknown> = { auto: true, disable: false, notify: 'notify' }

/** The model of a native `agents.title`: 1.x's `small_model`. */
const titleModel = (agents: unknown) =>
  isObject(agents) && isObject(agents.title) ? nativeModel(agents.title.model).model : undefined

function legacySkills(value: unknown[]): ConfigObject {
  const entries = value.filter(isString)
  const urls = entries.filter((entry) => /^https?:\/\//.test(entry))
  return defined({ paths: entries.filter((entry) => !urls.includes(entry)), urls: urls.length > 0 ? urls : undefined })
}

function legacyCompaction(value: ConfigObject): ConfigObject {
  const { keep, buffer, ...rest } = value
  return defined({ ...rest, preserve_recent_tokens: isObject(keep) ? keep.tokens : undefined, reserved: buffer })
}

/**
 * Per native key: its 1.x keys, or undefined when the value is not in the native form (then the
 * key is left as it is). `keep` rules add 1.x keys and leave the native one in place.
 */
const RULES: { key: string; keep?: true; translate: (value: unknown) => ConfigObject | undefined }[] = [
  { key: 'providers', translate: (value) => ({ provider: mapValues(value, legacyProvider) }) },
  { key: 'agents', translate: (value) => ({ agent: mapValues(value, legacyAgent), small_model: titleModel(value) }) },
  { key: 'commands', translate: (value) => ({ command: mapValues(value, legacyCommand) }) },
  { key: 'permissions', translate: (value) => ({ permission: permissionFromRules(value) }) },
  { key: 'plugins', translate: (value) => (Array.isArray(value) ? { plugin: legacyPlugins(value) } : undefined) },
  { key: 'snapshots', translate: (value) => (typeof value === 'boolean' ? { snapshot: value } : undefined) },
  { key: 'media', translate: (value) => (isObject(value) ? { attachment: value } : undefined) },
  {
    key: 'update',
    translate: (value) => (isString(value) && value in UPDATE ? { autoupdate: UPDATE[value] } : undefined),
  },
  {
    key: 'model',
    translate: (value) =>
      isObject(value) || (isString(value) && value.includes('#')) ? { model: nativeModel(value).model } : undefined,
  },
  {
    key: 'mcp',
    translate: (value) => {
      if (!isNativeMcp(value)) return undefined
      const timeout = legacyTimeout(value.timeout)
      return {
        mcp: mapValues(value.servers ?? {}, legacyMcpServer),
        experimental: timeout === undefined ? undefined : { mcp_timeout: timeout },
      }
    },
  },
  { key: 'skills', translate: (value) => (Array.isArray(value) ? { skills: legacySkills(value) } : undefined) },
  {
    key: 'compaction',
    translate: (value) =>
      isObject(value) && (value.keep !== undefined || value.buffer !== undefined)
        ? { compaction: legacyCompaction(value) }
        : undefined,
  },
  { key: 'policies', keep: true, translate: providerPolicies },
  {
    key: 'experimental',
    keep: true,
    translate: (value) => (isObject(value) ? { subagent_depth: value.subagent_depth } : undefined),
  },
]

/**
 * A config in OpenCode 2.1's native form (or a mix) as the 1.x form: `providers` → `provider`
 * (`package: "aisdk:<npm>"` → `npm`, `settings` → `options`, model `capabilities` → `tool_call`,
 * `modalities` …), `agents` → `agent`, `commands` → `command`, `permissions` rules → `permission`,
 * `mcp.servers` → `mcp`, `plugins` → `plugin`, `{providerID, model}` → `"provider/model"`, and
 * the smaller renames. A 1.x config comes back unchanged; keys neither form knows are kept.
 */
export function fromNativeConfig(config: ConfigObject): ConfigObject {
  let translated: ConfigObject = {}
  const consumed = new Set<string>()
  for (const rule of RULES) {
    if (config[rule.key] === undefined) continue
    const keys = rule.translate(config[rule.key])
    if (keys === undefined) continue
    if (!rule.keep) consumed.add(rule.key)
    translated = deepMerge(translated, defined(keys))
  }
  if (consumed.size === 0 && Object.keys(translated).length === 0) return config
  // The 1.x keys of the same file win, merged into translated sections rather than replacing them.
  return deepMerge(translated, Object.fromEntries(Object.entries(config).filter(([key]) => !consumed.has(key))))
}
