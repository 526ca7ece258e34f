import { expect } from 'chai'
import { fromNativeConfig } from '../../../kernel/instances/config-native.js'

describe('kernel: OpenCode 2.1 native config', () => {
  it('leaves a 1.x config as it is, the same object', () => {
    const legacy = {
      model: 'a/b',
      provider: { a: { npm: 'x' } },
      mcp: { servers: { type: 'local', command: ['s'] }, timeout: { type: 'remote', url: 'http://x' } },
      skills: { paths: ['p'] },
      compaction: { auto: true, reserved: 3 },
      experimental: { batch_tool: true },
    }
    expect(fromNativeConfig(legacy)).to.equal(legacy)
  })

  it('keeps the last of repeated permission rules last, as 2.1 evaluates them', () => {
    const config = fromNativeConfig({
      permissions: [
        { action: 'shell', resource: 'git *', effect: 'allow' },
        { action: 'shell', resource: '*', effect: 'ask' },
        { action: 'shell', resource: 'git *', effect: 'deny' },
        { action: 'subagent', resource: '*', effect: 'deny' },
        { action: 'read', effect: 'deny' },
      ],
    })
    expect(config.permission).to.deep.equal({ bash: { '*': 'ask', 'git *': 'deny' }, task: 'deny' })
    expect(Object.keys((config.permission as { bash: object }).bash)).to.deep.equal(['*', 'git *'])
  })

  it('translates models with variants and priced tiers, and drops a partial limit', () => {
    const config = fromNativeConfig({
      model: 'p/m#fast',
      providers: {
        p: {
          package: 'aisdk:@ai-sdk/anthropic',
          headers: { 'X-A': '1' },
          models: {
            m: {
              releaseDate: '2025-01',
              capabilities: { reasoning: { supported: true }, input: ['text', 'pdf', 'smell'] },
              variants: [{ id: 'fast', settings: { effort: 'low' } }, { id: 'plain' }],
              cost: [
                { input: 1, output: 2, cache: { read: 0.5 } },
                { tier: { type: 'context', size: 200000 }, input: 3, output: 4 },
              ],
              limit: { context: 1000 },
            },
          },
        },
      },
    })
    expect(config.model).to.equal('p/m')
    expect(config.provider).to.deep.equal({
      p: {
        npm: '@ai-sdk/anthropic',
        options: { headers: { 'X-A': '1' } },
        models: {
          m: {
            release_date: '2025-01',
            reasoning: true,
            attachment: true,
            modalities: { input: ['text', 'pdf'] },
            variants: { fast: { effort: 'low' }, plain: {} },
            cost: { input: 1, output: 2, cache_read: 0.5, context_over_200k: { input: 3, output: 4 } },
          },
        },
      },
    })
  })

  it('turns provider.use policies into enabled and disabled providers, keeping the policies', () => {
    const policies = [
      { action: 'provider.use', resource: '*', effect: 'deny' },
      { action: 'provider.use', resource: 'fake', effect: 'allow' },
      { action: 'provider.use', resource: 'openai', effect: 'deny' },
      { action: 'tool.use', resource: 'x', effect: 'deny' },
    ]
    expect(fromNativeConfig({ policies })).to.deep.equal({
      enabled_providers: ['fake'],
      disabled_providers: ['openai'],
      policies,
    })
  })

  it('translates the smaller keys: snapshots, media, update, compaction, experimental.subagent_depth', () => {
    expect(
      fromNativeConfig({
        snapshots: true,
        media: { image: { max_width: 5 } },
        update: 'disable',
        compaction: { auto: false, keep: { tokens: 10 }, buffer: 2 },
        experimental: { subagent_depth: 3 },
      }),
    ).to.deep.equal({
      snapshot: true,
      attachment: { image: { max_width: 5 } },
      autoupdate: false,
      compaction: { auto: false, preserve_recent_tokens: 10, reserved: 2 },
      subagent_depth: 3,
      experimental: { subagent_depth: 3 },
    })
  })
})
