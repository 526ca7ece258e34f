// Per-instance agents, commands and skills, computed once and reused until the config object or
// one of the scanned files changes.
import type { AgentKernel } from './index.js'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { type ConfigObject, type Instance } from '../../sdk/index.js'
import { buildAgents, type AgentFile, type AgentSet } from './agents.js'
import { buildCommands, type CommandFile } from './commands.js'
import { configErrors } from './fields.js'
import { findFiles, fingerprint, projectDirectories, type FoundFile } from './files.js'
import { parseMarkdown, type MarkdownFile } from './markdown.js'
import { buildSkills, skillRoots } from './skills.js'
import type { AgentInfo, AgentService, CommandInfo, CommandService, SkillInfo, SkillService } from './types.js'

type CatalogKernel = Pick<AgentKernel, 'config' | 'loadedConfig' | 'paths' | 'log'>

/** A computed value and what it was computed from. */
interface Slot<T> {
  config: ConfigObject
  key: unknown
  result: Promise<T>
}

const isMarkdown = (name: string) => name.endsWith('.md')
const isSkillFile = (name: string) => name === 'SKILL.md'

/** Reads and parses found files; a file removed since the scan is left out. */
async function parseFiles(files: readonly FoundFile[]): Promise<{ found: FoundFile; file: MarkdownFile }[]> {
  const parsed: { found: FoundFile; file: MarkdownFile }[] = []
  for (const found of files) {
    const text = await readFile(found.path, 'utf8').catch(() => undefined)
    if (text !== undefined) parsed.push({ found, file: parseMarkdown(found.path, text) })
  }
  return parsed
}

/** `nested/deep.md` → `nested/deep`. */
function nameOf(found: FoundFile): string {
  return found.relative.slice(0, -'.md'.length)
}

/** One instance's agents, commands and skills. Lives in instance state. */
export class AgentCatalog {
  private agentSlot?: Slot<AgentSet>
  private commandSlot?: Slot<CommandInfo[]>
  private skillSlot?: Slot<SkillInfo[]>
  // Concurrent callers share one freshness check instead of each scanning the folders.
  private readonly inflight = new Map<string, Promise<unknown>>()

  constructor(
    private readonly kernel: CatalogKernel,
    private readonly instance: Instance,
  ) {}

  agents(): Promise<AgentSet> {
    return this.shared('agents', async () => {
      const config = this.kernel.config(this.instance)
      const files = findFiles(this.markdownRoots('agent'), isMarkdown)
      const skillFiles = this.findSkillFiles(config)
      const key = `${fingerprint(files)}\n\n${fingerprint(skillFiles)}`
      if (this.agentSlot?.config === config && this.agentSlot.key === key) return this.agentSlot.result
      const result = (async () => {
        const parsed = await parseFiles(files)
        const agentFiles: AgentFile[] = parsed.map(({ found, file }) => ({ name: nameOf(found), file }))
        const set = buildAgents({
          config,
          configError: configErrors(this.kernel.loadedConfig(this.instance)),
          files: agentFiles,
          skillDirectories: [...new Set(skillFiles.map((file) => dirname(file.path)))],
          home: this.kernel.paths.home,
        })
        if (set.defaultAgentProblem)
          this.kernel.log.warn(
            { directory: this.instance.directory },
            `${set.defaultAgentProblem}; using "${set.defaultAgent?.name}" instead`,
          )
        return set
      })()
      this.agentSlot = { config, key, result }
      return result
    })
  }

  commands(): Promise<CommandInfo[]> {
    return this.shared('commands', async () => {
      const config = this.kernel.config(this.instance)
      const files = findFiles(this.markdownRoots('command'), isMarkdown)
      // A broken SKILL.md shows on /skill; commands still work without the skills.
      const skills = await this.skills().catch(() => [] as SkillInfo[])
      const key = { files: fingerprint(files), skills }
      const slot = this.commandSlot
      if (slot?.config === config && isSameKey(slot.key, key)) return slot.result
      const result = (async () => {
        const parsed = await parseFiles(files)
        const commandFiles: CommandFile[] = parsed.map(({ found, file }) => ({ name: nameOf(found), file }))
        return buildCommands({
          config,
          configError: configErrors(this.kernel.loadedConfig(this.instance)),
          files: commandFiles,
          skills,
        })
      })()
      this.commandSlot = { config, key, result }
      return result
    })
  }

  skills(): Promise<SkillInfo[]> {
    return this.shared('skills', async () => {
      const config = this.kernel.config(this.instance)
      const files = this.findSkillFiles(config)
      const key = fingerprint(files)
      if (this.skillSlot?.config === config && this.skillSlot.key === key) return this.skillSlot.result
      const result = (async () => {
        const { skills, skipped } = buildSkills((await parseFiles(files)).map(({ file }) => file))
        for (const { path, reason } of skipped) this.kernel.log.warn({ path }, `skill skipped: ${reason}`)
        return skills
      })()
      this.skillSlot = { config, key, result }
      return result
    })
  }

  private shared<T>(kind: string, check: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(kind) as Promise<T> | undefined
    if (running) return running
    const next = check().finally(() => this.inflight.delete(kind))
    this.inflight.set(kind, next)
    return next
  }

  /** `agent/`+`agents/` (or `command/`+`commands/`) in the global config dir, then in each `.opencode/`. */
  private markdownRoots(kind: 'agent' | 'command'): string[] {
    const roots = [join(this.kernel.paths.config, kind), join(this.kernel.paths.config, `${kind}s`)]
    for (const dir of projectDirectories(this.instance.worktree, this.instance.directory)) {
      roots.push(join(dir, '.opencode', kind), join(dir, '.opencode', `${kind}s`))
    }
    return roots
  }

  private findSkillFiles(config: ConfigObject): FoundFile[] {
    const roots = skillRoots({
      projectDirectories: projectDirectories(this.instance.worktree, this.instance.directory),
      directory: this.instance.directory,
      configDirectory: this.kernel.paths.config,
      home: this.kernel.paths.home,
      config,
      configError: configErrors(this.kernel.loadedConfig(this.instance)),
    })
    return findFiles(roots, isSkillFile)
  }
}

function isSameKey(a: unknown, b: { files: string; skills: SkillInfo[] }): boolean {
  const previous = a as { files: string; skills: SkillInfo[] }
  return previous.files === b.files && previous.skills === b.skills
}

const CATALOG_STATE = 'agent.catalog'

/** The three services behind `app.agents`, `app.commands` and `app.skills`. */
export function createServices(kernel: CatalogKernel): {
  agents: AgentService
  commands: CommandService
  skills: SkillService
} {
  const catalog = (instance: Instance) =>
    instance.state(CATALOG_STATE, (instance) => new AgentCatalog(kernel, instance))
  const agents: AgentService = {
    async list(instance) {
      return (await catalog(instance).agents()).agents
    },
    async get(instance, name) {
      return (await catalog(instance).agents()).agents.find((agent) => agent.name === name)
    },
    async defaultAgent(instance): Promise<AgentInfo> {
      const set = await catalog(instance).agents()
      if (set.defaultAgent) return set.defaultAgent
      throw configErrors(kernel.loadedConfig(instance))(
        ['agent'],
        'no primary agent is left to use as the default (all are disabled, hidden or subagents)',
      )
    },
  }
  const commands: CommandService = {
    async list(instance) {
      return catalog(instance).commands()
    },
    async get(instance, name) {
      return (await catalog(instance).commands()).find((command) => command.name === name)
    },
  }
  const skills: SkillService = {
    async list(instance) {
      return catalog(instance).skills()
    },
    async get(instance, name) {
      return (await catalog(instance).skills()).find((skill) => skill.name === name)
    },
  }
  return { agents, commands, skills }
}
