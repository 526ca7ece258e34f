import type { ProjectKernel } from './index.js'
import { execFile } from 'node:child_process'
import { BadRequestError, NotFoundError, type Instance, type Migration, type SqliteDatabase } from '../../sdk/index.js'
import { contains } from '../../sdk/paths.js'
import { ProjectUpdated } from './events.js'
import type { Project, ProjectUpdateInput } from './schemas.js'
import type { ProjectService } from './types.js'
import { projectEventData, projectV21, type ProjectUpdateV21Input } from './v21-schemas.js'

export const PROJECT_MIGRATIONS: Migration[] = [
  {
    id: '0001-project',
    up: (db) =>
      db.exec(`CREATE TABLE project (
        id TEXT PRIMARY KEY,
        worktree TEXT NOT NULL,
        vcs TEXT,
        name TEXT,
        icon TEXT,
        commands TEXT,
        sandboxes TEXT NOT NULL DEFAULT '[]',
        time_created INTEGER NOT NULL,
        time_updated INTEGER NOT NULL,
        time_initialized INTEGER
      )`),
  },
  // OpenCode 2.1's `time.active`: when an instance of the project last booted.
  { id: '0002-project-active', up: (db) => db.exec('ALTER TABLE project ADD COLUMN time_active INTEGER') },
]

interface ProjectRow {
  id: string
  worktree: string
  vcs: string | null
  name: string | null
  icon: string | null
  commands: string | null
  sandboxes: string
  time_created: number
  time_updated: number
  time_initialized: number | null
  time_active: number | null
}

const GLOBAL = 'global'

function toProject(row: ProjectRow): Project {
  const project: Project = {
    id: row.id,
    worktree: row.worktree,
    time: { created: row.time_created, updated: row.time_updated },
    sandboxes: JSON.parse(row.sandboxes) as string[],
  }
  if (row.vcs === 'git') project.vcs = 'git'
  if (row.name !== null) project.name = row.name
  if (row.icon !== null) project.icon = JSON.parse(row.icon) as Project['icon']
  if (row.commands !== null) project.commands = JSON.parse(row.commands) as Project['commands']
  if (row.time_initialized !== null) project.time.initialized = row.time_initialized
  return project
}

/** Keeps `value` only when it has a key; an emptied icon or commands is stored as absent. */
function json(value: object | undefined): string | null {
  return value && Object.keys(value).length > 0 ? JSON.stringify(value) : null
}

function prepareStatements(db: SqliteDatabase) {
  return {
    select: db.prepare<[string], ProjectRow>('SELECT * FROM project WHERE id = ?'),
    selectAll: db.prepare<[], ProjectRow>('SELECT * FROM project ORDER BY time_created, id'),
    insert: db.prepare(
      'INSERT INTO project (id, worktree, vcs, sandboxes, time_created, time_updated, time_active) VALUES (@id, @worktree, @vcs, @sandboxes, @time, @time, @time)',
    ),
    touch: db.prepare(
      'UPDATE project SET vcs = @vcs, sandboxes = @sandboxes, time_updated = @time, time_active = @time WHERE id = @id',
    ),
    save: db.prepare(
      'UPDATE project SET name = @name, icon = @icon, commands = @commands, time_updated = @time WHERE id = @id',
    ),
    saveCanonical: db.prepare('UPDATE project SET worktree = @worktree WHERE id = @id'),
    initialized: db.prepare('UPDATE project SET time_initialized = @time WHERE id = @id'),
    saveSandboxes: db.prepare('UPDATE project SET sandboxes = @sandboxes, time_updated = @time WHERE id = @id'),
  }
}
type Statements = ReturnType<typeof prepareStatements>

/** Creates the instance's project row, or notes that it was opened again (and from which worktree). */
function projectRecorder(db: SqliteDatabase, statements: Statements): (instance: Instance) => Project {
  const { select, insert, touch } = statements
  return db.transaction((instance: Instance): Project => {
    const { id } = instance.project
    // OpenCode shows the global project (every directory outside git) with worktree `/`.
    const worktree = id === GLOBAL ? '/' : instance.worktree
    // The global project stands for every directory outside a repository with commits: a
    // directory that is a repository without commits yet (`git init`) must not make it `git`.
    const vcs = id === GLOBAL ? null : (instance.project.vcs ?? null)
    const time = Date.now()
    const row = select.get(id)
    if (!row) {
      insert.run({ id, worktree, vcs, sandboxes: '[]', time })
    } else {
      const sandboxes = JSON.parse(row.sandboxes) as string[]
      // Another checkout of the same repository (a linked worktree, a second clone).
      if (id !== GLOBAL && worktree !== row.worktree && !sandboxes.includes(worktree)) sandboxes.push(worktree)
      touch.run({
        id,
        vcs: id === GLOBAL ? null : (vcs ?? row.vcs),
        sandboxes: JSON.stringify(sandboxes),
        time: Math.max(time, row.time_updated),
      })
    }
    return toProject(select.get(id)!)
  })
}

/** Applies an update's fields to `project` (in place); `color` is short for `icon.color`. */
function applyUpdate(project: Project, input: ProjectUpdateInput): void {
  if (input.name !== undefined) {
    if (input.name === '') delete project.name
    else project.name = input.name
  }
  if (input.icon === null) delete project.icon
  else if (typeof input.icon === 'string') project.icon = { ...project.icon, override: input.icon }
  else if (input.icon !== undefined) project.icon = { ...project.icon, ...input.icon }
  if (input.color !== undefined) project.icon = { ...project.icon, color: input.color }
  if (input.commands !== undefined) project.commands = { ...project.commands, ...input.commands }
}

/** Applies a 2.1 update to `project` (in place): `commands` are replaced, not merged. */
function applyUpdateV21(project: Project, input: ProjectUpdateV21Input): void {
  applyUpdate(project, { name: input.name, icon: input.icon })
  if (input.commands !== undefined) project.commands = input.commands.start ? { start: input.commands.start } : {}
  if (input.canonical !== undefined) project.worktree = input.canonical
}

/** `git init --quiet` in `directory`: whether it worked, and the first line git wrote when not. */
function gitInit(directory: string, env: NodeJS.ProcessEnv): Promise<{ ok: boolean; message: string }> {
  return new Promise((resolve) => {
    execFile(
      'git',
      ['init', '--quiet'],
      { cwd: directory, env: { ...env, GIT_TERMINAL_PROMPT: '0' }, timeout: 30_000 },
      (error, _stdout, stderr) =>
        resolve({
          ok: !error,
          message:
            String(stderr || error?.message || '')
              .trim()
              .split('\n')[0] ?? '',
        }),
    )
  })
}

/** Disposes the instances of `directory` and of the directories inside it, then boots it again. */
async function bootAgain(kernel: ProjectKernel, directory: string): Promise<Instance> {
  for (const open of await kernel.instances.list()) {
    if (contains(directory, open.directory)) await kernel.instances.dispose(open.directory)
  }
  return kernel.instances.get(directory)
}

/** Reading rows, and the two writes: the user's fields, and the sandboxes list (read, change, write). */
function projectRows(db: SqliteDatabase, statements: Statements, record: (instance: Instance) => Project) {
  const { select, save, saveCanonical, saveSandboxes } = statements
  const get = (id: string) => {
    const row = select.get(id)
    return row ? toProject(row) : undefined
  }

  /** Writes the user's fields of `project` (and its canonical directory when asked). */
  const saveProject = db.transaction((project: Project, canonical: boolean): Project => {
    project.time.updated = Math.max(Date.now(), project.time.updated)
    save.run({
      id: project.id,
      name: project.name ?? null,
      icon: json(project.icon),
      commands: json(project.commands),
      time: project.time.updated,
    })
    if (canonical) saveCanonical.run({ id: project.id, worktree: project.worktree })
    return get(project.id)!
  })

  /** Read, change and write in one transaction, so concurrent changes to the list are not lost. */
  const changeSandboxes = db.transaction(
    (instance: Instance, change: (sandboxes: string[]) => string[]): { project: Project; changed: boolean } => {
      const project = get(instance.project.id) ?? record(instance)
      const sandboxes = change(project.sandboxes)
      if (
        sandboxes.length === project.sandboxes.length &&
        sandboxes.every((directory, i) => directory === project.sandboxes[i])
      )
        return { project, changed: false }
      saveSandboxes.run({
        id: project.id,
        sandboxes: JSON.stringify(sandboxes),
        time: Math.max(Date.now(), project.time.updated),
      })
      return { project: get(project.id)!, changed: true }
    },
  )

  return { get, activeTime: (id: string) => select.get(id)?.time_active ?? null, saveProject, changeSandboxes }
}

/** Projects in the kernel's SQLite, one row per project id (root commit, or `global`). */
export function createProjectService(kernel: ProjectKernel): ProjectService & { record(instance: Instance): Project } {
  kernel.storage.migrate('project', PROJECT_MIGRATIONS)
  const db = kernel.storage.db
  const statements = prepareStatements(db)
  const { selectAll, initialized } = statements
  const record = projectRecorder(db, statements)
  const { get, activeTime, saveProject, changeSandboxes } = projectRows(db, statements, record)
  const publishUpdated = (target: Instance, project: Project) =>
    kernel.publish(target, ProjectUpdated, projectEventData(project, activeTime(project.id)))

  const updateSandboxes = (instance: Instance, change: (sandboxes: string[]) => string[]): Project => {
    const { project, changed } = changeSandboxes(instance, change)
    if (changed) publishUpdated(instance, project)
    return project
  }

  /**
   * Runs `git init` in the instance's directory unless it is already in a repository, then boots
   * the directory's instances again so every plugin sees the repository. The project keeps the
   * id `global` until a first commit exists (as in OpenCode), shown with the new repository as
   * worktree and `vcs: "git"`.
   */
  const initGit = async (instance: Instance): Promise<Project> => {
    if (instance.project.vcs === 'git') return get(instance.project.id) ?? record(instance)
    const result = await gitInit(instance.directory, kernel.env)
    if (!result.ok) throw new BadRequestError(`git init failed: ${result.message}`)
    const fresh = await bootAgain(kernel, instance.directory)
    let project = get(fresh.project.id) ?? record(fresh)
    if (project.id === GLOBAL) project = { ...project, worktree: fresh.worktree, vcs: 'git' }
    publishUpdated(fresh, project)
    return project
  }

  return {
    record,
    initGit,
    list: () => selectAll.all().map(toProject),
    listV21: () => selectAll.all().map((row) => projectV21(toProject(row), row.time_active)),
    get,
    current: (instance) => get(instance.project.id) ?? record(instance),
    update(instance, id, input) {
      const project = get(id)
      if (!project) throw new NotFoundError(`Project not found: ${id}`)
      applyUpdate(project, input)
      const updated = saveProject(project, false)
      publishUpdated(instance, updated)
      return updated
    },
    updateV21(instance, id, input) {
      const project = get(id)
      if (!project) return undefined
      applyUpdateV21(project, input)
      const updated = saveProject(project, input.canonical !== undefined)
      publishUpdated(instance, updated)
      return projectV21(updated, activeTime(id))
    },
    markInitialized(instance, time = Date.now()) {
      const id = instance.project.id
      if (initialized.run({ id, time }).changes === 0) return undefined
      const updated = get(id)!
      publishUpdated(instance, updated)
      return updated
    },
    addSandbox: (instance, directory) =>
      updateSandboxes(instance, (sandboxes) => (sandboxes.includes(directory) ? sandboxes : [...sandboxes, directory])),
    removeSandbox: (instance, directory) =>
      updateSandboxes(instance, (sandboxes) => sandboxes.filter((sandbox) => sandbox !== directory)),
  }
}
