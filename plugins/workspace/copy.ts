import type { WorkspaceKernel } from './index.js'
import type { FastifyInstance } from 'fastify'
import { execFile } from 'node:child_process'
import { realpath } from 'node:fs/promises'
import { NotFoundError, checkDirectory, isNamedError, type Instance } from '../../sdk/index.js'
import { ProjectCopyError } from './errors.js'
import type { ProjectCopyInput } from './schemas.js'

const ADJECTIVES =
  'brave calm clever cosmic crisp curious eager gentle glowing happy hidden jolly kind lucky mighty misty neon nimble playful proud quick quiet shiny silent stellar sunny swift tidy witty'.split(
    ' ',
  )
const NOUNS =
  'cabin cactus canyon circuit comet eagle engine falcon forest garden harbor island knight lagoon meadow moon mountain nebula orchid otter panda pixel planet river rocket sailor squid star tiger wizard wolf'.split(
    ' ',
  )
const pick = (words: string[]) => words[Math.floor(Math.random() * words.length)]!

function gitStatus(directory: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      'git',
      ['status', '--porcelain'],
      { cwd: directory, env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' } },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    ),
  )
}

/**
 * Copies of a project (OpenCode's `projectCopy`): with the `worktree` strategy, a sandbox of the
 * worktree plugin checked out from the project's HEAD.
 */
export class ProjectCopies {
  constructor(
    private readonly app: FastifyInstance,
    private readonly kernel: WorkspaceKernel,
  ) {}

  /** The project of the request; another id is 404. */
  private project(instance: Instance, projectID: string): void {
    if (instance.project.id !== projectID) throw new NotFoundError(`Project not found: ${projectID}`)
  }

  /** An unused adjective-noun name (not a sandbox of the project yet). */
  async generateName(instance: Instance, projectID: string): Promise<string> {
    this.project(instance, projectID)
    const taken = new Set((await this.app.worktrees.list(instance)).map((directory) => directory.split('/').pop()))
    for (let attempt = 0; attempt < 30; attempt++) {
      const name = `${pick(ADJECTIVES)}-${pick(NOUNS)}`
      if (!taken.has(name)) return name
    }
    return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${Date.now().toString(36).slice(-4)}`
  }

  async create(instance: Instance, projectID: string, input: ProjectCopyInput): Promise<{ directory: string }> {
    this.project(instance, projectID)
    if (input.strategy !== 'worktree') throw new ProjectCopyError(`strategy unavailable: ${input.strategy}`)
    const source = await this.kernel.instances
      .get(await checkDirectory(input.directory, 'cwd'))
      .catch((error: unknown) => {
        throw new ProjectCopyError(isNamedError(error) ? error.message : `directory unavailable: ${input.directory}`)
      })
    if (source.project.id !== projectID)
      throw new ProjectCopyError(`directory unavailable: ${input.directory} is not a checkout of project ${projectID}`)
    try {
      const worktree = await this.app.worktrees.create(source, input.name === undefined ? {} : { name: input.name })
      return { directory: worktree.directory }
    } catch (error) {
      if (isNamedError(error) && error.statusCode < 500) throw new ProjectCopyError(error.message)
      throw error
    }
  }

  /** Removes a copy; one with uncommitted changes only with `force` (else 400 with `forceRequired`). */
  async remove(instance: Instance, projectID: string, directory: string, force: boolean): Promise<void> {
    this.project(instance, projectID)
    const real = await realpath(directory).catch(() => undefined)
    if (!real || !(await this.app.worktrees.list(instance)).includes(real))
      throw new ProjectCopyError(`directory unavailable: ${directory}`)
    if (!force && (await gitStatus(real).catch(() => '')).trim() !== '')
      throw new ProjectCopyError(`The copy has uncommitted changes: ${real}`, true)
    await this.app.worktrees.remove(instance, real)
  }
}
