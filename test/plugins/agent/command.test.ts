import { expect } from 'chai'
import { join } from 'node:path'
import { commandHints } from '../../../plugins/agent/commands.js'
import type { CommandInfo } from '../../../plugins/agent/types.js'
import { cleanup, gitRepo, startServer, type TestServer } from '../../support/helper.js'
import { markdown, writeFiles } from '../../support/agent-files.js'

describe('plugin: agent (commands)', () => {
  let server: TestServer
  before(async () => {
    server = await startServer({ only: ['core', 'agent'] })
  })
  after(cleanup)

  async function commands(directory: string): Promise<CommandInfo[]> {
    const response = await server.app.inject({ url: `/command?directory=${encodeURIComponent(directory)}` })
    expect(response.statusCode, response.body).to.equal(200)
    return response.json()
  }

  function find(list: CommandInfo[], name: string): CommandInfo {
    const command = list.find((candidate) => candidate.name === name)
    expect(command, `command ${name}`).to.not.equal(undefined)
    return command!
  }

  it('hints at the placeholders a template uses: numbered in order, then $ARGUMENTS', () => {
    expect(commandHints('Fix $2 in $1, then $10 and $1 again; notes: $ARGUMENTS')).to.deep.equal([
      '$1',
      '$2',
      '$10',
      '$ARGUMENTS',
    ])
    expect(commandHints('Just $ARGUMENTS')).to.deep.equal(['$ARGUMENTS'])
    expect(commandHints('No placeholders, !`git status` and @README.md')).to.deep.equal([])
  })

  it('offers the built-in init and review commands', async () => {
    const list = await commands(gitRepo())
    expect(list.slice(0, 2).map((command) => command.name)).to.deep.equal(['init', 'review'])
    const init = find(list, 'init')
    expect(init).to.include({ source: 'command' })
    expect(init.template).to.contain('AGENTS.md').and.contain('$ARGUMENTS')
    expect(init.hints).to.deep.equal(['$ARGUMENTS'])
    const review = find(list, 'review')
    expect(review).to.include({ source: 'command', subtask: true })
    expect(review.template).to.contain('$ARGUMENTS')
    expect(review.hints).to.deep.equal(['$ARGUMENTS'])
  })

  it('reads commands from config and markdown with their fields and hints', async () => {
    const repo = writeFiles(gitRepo(), {
      'opencode.json': JSON.stringify({
        command: {
          deploy: {
            template: 'Deploy $1 to $2',
            description: 'Deploy something',
            agent: 'build',
            model: 'openai/gpt-5',
            subtask: false,
          },
        },
      }),
      '.opencode/command/hello.md': markdown(
        'description: Say hello\nagent: plan\nmodel: anthropic/claude\nsubtask: true',
        'Hello $2 and $1: $ARGUMENTS !`date` @README.md\n',
      ),
      '.opencode/commands/group/nested.md': markdown('description: nested', 'Nested $ARGUMENTS'),
      '.opencode/command/plain.md': 'No frontmatter at all $1\n',
    })
    const list = await commands(repo)
    expect(find(list, 'deploy')).to.deep.equal({
      name: 'deploy',
      description: 'Deploy something',
      agent: 'build',
      model: 'openai/gpt-5',
      source: 'command',
      subtask: false,
      template: 'Deploy $1 to $2',
      hints: ['$1', '$2'],
    })
    expect(find(list, 'hello')).to.deep.equal({
      name: 'hello',
      description: 'Say hello',
      agent: 'plan',
      model: 'anthropic/claude',
      source: 'command',
      subtask: true,
      template: 'Hello $2 and $1: $ARGUMENTS !`date` @README.md',
      hints: ['$1', '$2', '$ARGUMENTS'],
    })
    expect(find(list, 'group/nested')).to.include({ description: 'nested', template: 'Nested $ARGUMENTS' })
    expect(find(list, 'plain')).to.deep.include({ template: 'No frontmatter at all $1', hints: ['$1'] })
  })

  it('lets a user command replace a built-in in place, markdown merging over config', async () => {
    const repo = writeFiles(gitRepo(), {
      'opencode.json': JSON.stringify({
        command: { review: { template: 'Config review', agent: 'plan', description: 'from config' } },
      }),
      '.opencode/command/review.md': markdown('description: my review', 'My review of $ARGUMENTS'),
    })
    const list = await commands(repo)
    expect(list[1]).to.deep.equal({
      name: 'review',
      description: 'my review',
      agent: 'plan',
      source: 'command',
      template: 'My review of $ARGUMENTS',
      hints: ['$ARGUMENTS'],
    })
  })

  it('reads commands from the global config directory', async () => {
    const own = await startServer({ only: ['core', 'agent'] })
    writeFiles(join(own.configHome, 'opencode'), {
      'command/everywhere.md': markdown('description: global', 'Global $1'),
    })
    const list: CommandInfo[] = (await own.app.inject({ url: `/command?directory=${gitRepo()}` })).json()
    expect(find(list, 'everywhere')).to.include({ description: 'global', template: 'Global $1' })
  })

  it('offers skills as commands after the others, unless a command has the name', async () => {
    const repo = writeFiles(gitRepo(), {
      '.opencode/skill/lint-fix/SKILL.md': markdown(
        'name: lint-fix\ndescription: Fixes lint errors',
        'Run the linter.\n',
      ),
      '.opencode/skill/init/SKILL.md': markdown('name: init\ndescription: clashes with the built-in', 'x'),
    })
    const list = await commands(repo)
    const skill = find(list, 'lint-fix')
    expect(skill).to.include({ source: 'skill', description: 'Fixes lint errors' })
    expect(skill.hints).to.deep.equal([])
    expect(skill.template).to.contain('Run the linter.').and.contain(join(repo, '.opencode/skill/lint-fix'))
    const lastCommand = list.map((command) => command.source).lastIndexOf('command')
    expect(list.indexOf(skill)).to.be.greaterThan(lastCommand)
    expect(find(list, 'init').source).to.equal('command')
  })

  it('answers ConfigInvalidError for a malformed command file or a config command without template', async () => {
    const repo = writeFiles(gitRepo(), {
      '.opencode/command/bad.md': markdown('description: x\nsubtask: sometimes', 'x'),
    })
    const bad = (await server.app.inject({ url: `/command?directory=${repo}` })).json()
    expect(bad.name).to.equal('ConfigInvalidError')
    expect(bad.data).to.include({ path: join(repo, '.opencode/command/bad.md'), line: 3 })
    expect(bad.data.message).to.contain('subtask: must be true or false')

    const other = writeFiles(gitRepo(), {
      'opencode.json': JSON.stringify({ command: { empty: { description: 'no template' } } }),
    })
    const missing = (await server.app.inject({ url: `/command?directory=${other}` })).json()
    expect(missing.name).to.equal('ConfigInvalidError')
    expect(missing.data.path).to.equal(join(other, 'opencode.json'))
    expect(missing.data.message).to.contain('command.empty: template is required')
  })

  it('sees a newly added command file', async () => {
    const repo = gitRepo()
    const instance = await server.kernel.instances.get(repo)
    const before = await server.app.commands.list(instance)
    expect(await server.app.commands.list(instance)).to.equal(before)
    writeFiles(repo, { '.opencode/command/later.md': markdown('description: added later', 'Later') })
    expect((await server.app.commands.get(instance, 'later'))?.template).to.equal('Later')
    expect(await server.app.commands.get(instance, 'nope')).to.equal(undefined)
  })
})
