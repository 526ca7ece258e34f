import { expect } from 'chai'
import {
  agentRules,
  expandHome,
  flattenPermission,
  mergePermission,
  permissionConfigProblem,
  permissionFromTools,
} from '../../../plugins/agent/permission.js'
import { triples } from '../../support/agent-files.js'

describe('plugin: agent (permission rules)', () => {
  const home = '/home/user'

  it('flattens a bare action to pattern *', () => {
    expect(flattenPermission('ask', home)).to.deep.equal([{ permission: '*', pattern: '*', action: 'ask' }])
    expect(flattenPermission(undefined, home)).to.deep.equal([])
  })

  it('flattens permissions and pattern objects in config order, expanding ~ and $HOME', () => {
    const rules = flattenPermission(
      {
        edit: 'deny',
        bash: { '*': 'ask', 'git *': 'allow' },
        external_directory: { '~/notes/*': 'allow', $HOME: 'deny', '~': 'ask' },
      },
      home,
    )
    expect(triples(rules)).to.deep.equal([
      ['edit', '*', 'deny'],
      ['bash', '*', 'ask'],
      ['bash', 'git *', 'allow'],
      ['external_directory', '/home/user/notes/*', 'allow'],
      ['external_directory', '/home/user', 'deny'],
      ['external_directory', '/home/user', 'ask'],
    ])
    expect(expandHome('src/~/x', home)).to.equal('src/~/x')
  })

  it('turns tools switches into permissions, edit tools sharing one', () => {
    expect(permissionFromTools({ write: false, patch: false, bash: true, webfetch: false })).to.deep.equal({
      edit: 'deny',
      bash: 'allow',
      webfetch: 'deny',
    })
  })

  it('merges configs key by key and pattern by pattern; a bare action replaces everything', () => {
    expect(mergePermission({ bash: { '*': 'ask' }, edit: 'allow' }, { bash: { 'git *': 'allow' } })).to.deep.equal({
      bash: { '*': 'ask', 'git *': 'allow' },
      edit: 'allow',
    })
    expect(mergePermission({ bash: 'ask' }, 'deny')).to.equal('deny')
    expect(mergePermission('deny', { bash: 'ask' })).to.deep.equal({ bash: 'ask' })
  })

  it('orders rules: defaults, built-in agent, user config, then the agent config (tools under permission)', () => {
    const rules = agentRules({
      defaults: { '*': 'allow' },
      builtIn: { question: 'allow' },
      user: { bash: 'ask' },
      tools: { bash: false, webfetch: false },
      agent: { bash: { 'ls *': 'allow' } },
      home,
    })
    expect(triples(rules)).to.deep.equal([
      ['*', '*', 'allow'],
      ['question', '*', 'allow'],
      ['bash', '*', 'ask'],
      ['bash', 'ls *', 'allow'],
      ['webfetch', '*', 'deny'],
    ])
  })

  it('explains what is wrong with a permission config', () => {
    expect(permissionConfigProblem({ bash: { '*': 'ask' } })).to.equal(undefined)
    expect(permissionConfigProblem('sometimes')).to.match(/must be one of/)
    expect(permissionConfigProblem({ bash: 3 })).to.match(/"bash"/)
    expect(permissionConfigProblem({ bash: { 'rm *': 'nope' } })).to.match(/pattern "rm \*"/)
  })
})
