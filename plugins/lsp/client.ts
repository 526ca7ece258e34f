// A language-server client over stdio (JSON-RPC with vscode-jsonrpc): open documents, wait for
// their diagnostics, ask for workspace symbols.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { MessageConnection } from 'vscode-jsonrpc'

type Rpc = typeof import('vscode-jsonrpc/node.js')
let rpc: Promise<Rpc> | undefined
/** vscode-jsonrpc, loaded with the first language server. */
const loadRpc = () => (rpc ??= import('vscode-jsonrpc/node.js') as Promise<Rpc>)

/** What a server may take to start. */
const INITIALIZE_TIMEOUT_MS = 15_000

export interface LspPosition {
  line: number
  character: number
}
export interface LspDiagnostic {
  range: { start: LspPosition; end: LspPosition }
  /** 1 error, 2 warning, 3 information, 4 hint. */
  severity?: number
  message: string
  source?: string
}
export interface LspSymbol {
  name: string
  kind: number
  location: { uri: string; range: { start: LspPosition; end: LspPosition } }
  containerName?: string
}

/** Language ids for the documents a server is sent (by extension; else the extension itself). */
const LANGUAGE_IDS: Record<string, string> = {
  '.ts': 'typescript',
  '.tsx': 'typescriptreact',
  '.mts': 'typescript',
  '.cts': 'typescript',
  '.js': 'javascript',
  '.jsx': 'javascriptreact',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.py': 'python',
  '.go': 'go',
  '.rs': 'rust',
  '.rb': 'ruby',
  '.java': 'java',
  '.c': 'c',
  '.h': 'c',
  '.cpp': 'cpp',
  '.hpp': 'cpp',
  '.cs': 'csharp',
  '.php': 'php',
  '.lua': 'lua',
  '.swift': 'swift',
  '.kt': 'kotlin',
  '.json': 'json',
  '.css': 'css',
  '.html': 'html',
  '.vue': 'vue',
  '.svelte': 'svelte',
}

export interface LspStartOptions {
  id: string
  program: string
  args: string[]
  root: string
  env: NodeJS.ProcessEnv
  initialization?: Record<string, unknown>
  /** Registers the started child (the kernel's process registry); answers how to forget it. */
  track?: (child: ChildProcess) => () => void
}

/** Spawns the server and waits until it runs. */
async function spawnServer(options: LspStartOptions): Promise<ChildProcess> {
  // Its own process group: ending it also ends what it started (some servers are wrapper scripts).
  const child = spawn(options.program, options.args, {
    cwd: options.root,
    env: options.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  })
  const untrack = options.track?.(child)
  child.once('exit', () => untrack?.())
  child.stderr!.resume()
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve())
    child.once('error', reject)
  })
  return child
}

export class LspClient {
  private readonly versions = new Map<string, number>()
  private readonly diagnostics = new Map<string, LspDiagnostic[]>()
  private readonly waiters = new Map<string, (() => void)[]>()
  private closed = false

  private constructor(
    readonly id: string,
    private readonly child: ChildProcess,
    private readonly connection: MessageConnection,
  ) {}

  /** Starts the server in `root` and runs the initialize handshake. */
  static async start(options: LspStartOptions): Promise<LspClient> {
    const { createMessageConnection, StreamMessageReader, StreamMessageWriter } = await loadRpc()
    const child = await spawnServer(options)
    const connection = createMessageConnection(
      new StreamMessageReader(child.stdout!),
      new StreamMessageWriter(child.stdin!),
    )
    const client = new LspClient(options.id, child, connection)
    client.listen(options)
    await client.initialize(options)
    return client
  }

  /** Answers what the server asks, records what it publishes, then starts reading from it. */
  private listen(options: LspStartOptions): void {
    const connection = this.connection
    connection.onNotification(
      'textDocument/publishDiagnostics',
      (params: { uri: string; diagnostics: LspDiagnostic[] }) => {
        this.diagnostics.set(params.uri, params.diagnostics)
        for (const wake of this.waiters.get(params.uri)?.splice(0) ?? []) wake()
      },
    )
    connection.onRequest('workspace/configuration', (params: { items?: unknown[] }) =>
      (params.items ?? []).map(() => options.initialization ?? {}),
    )
    connection.onRequest('client/registerCapability', () => null)
    connection.onRequest('window/workDoneProgress/create', () => null)
    connection.onRequest('workspace/workspaceFolders', () => [
      { uri: pathToFileURL(options.root).href, name: 'workspace' },
    ])
    connection.onClose(() => (this.closed = true))
    this.child.once('exit', () => (this.closed = true))
    connection.listen()
  }

  /** The initialize handshake; a server that exits or takes too long is killed. */
  private async initialize(options: LspStartOptions): Promise<void> {
    const root = pathToFileURL(options.root).href
    const initialize = this.connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: root,
      workspaceFolders: [{ uri: root, name: 'workspace' }],
      initializationOptions: options.initialization ?? {},
      capabilities: {
        textDocument: { synchronization: { didSave: true }, publishDiagnostics: { versionSupport: true } },
        workspace: { symbol: {}, configuration: true, workspaceFolders: true },
      },
    })
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([
        initialize,
        new Promise((_, reject) =>
          this.child.once('exit', (code) =>
            reject(new Error(`${options.id} exited (code ${code}) before it initialized`)),
          ),
        ),
        new Promise(
          (_, reject) =>
            (timer = setTimeout(
              () => reject(new Error(`${options.id} did not initialize within ${INITIALIZE_TIMEOUT_MS / 1000} s`)),
              INITIALIZE_TIMEOUT_MS,
            )),
        ),
      ])
    } catch (error) {
      this.kill()
      throw error
    } finally {
      clearTimeout(timer)
    }
    await this.connection.sendNotification('initialized', {})
  }

  get alive(): boolean {
    return !this.closed
  }

  /** Sends the file's current text (didOpen the first time, didChange after), clearing its old diagnostics. */
  async sync(file: string): Promise<string> {
    const uri = pathToFileURL(file).href
    const text = await readFile(file, 'utf8')
    const version = this.versions.get(uri)
    this.diagnostics.delete(uri)
    if (version === undefined) {
      this.versions.set(uri, 0)
      await this.connection.sendNotification('textDocument/didOpen', {
        textDocument: { uri, languageId: LANGUAGE_IDS[extname(file)] ?? extname(file).slice(1), version: 0, text },
      })
    } else {
      this.versions.set(uri, version + 1)
      await this.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: version + 1 },
        contentChanges: [{ text }],
      })
    }
    return uri
  }

  /** The diagnostics of `uri` once the server published them (or what is known after `timeoutMs`). */
  async diagnosticsOf(uri: string, timeoutMs: number): Promise<LspDiagnostic[]> {
    if (!this.diagnostics.has(uri) && !this.closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs)
        const list = this.waiters.get(uri) ?? []
        list.push(() => {
          clearTimeout(timer)
          resolve()
        })
        this.waiters.set(uri, list)
      })
    }
    return this.diagnostics.get(uri) ?? []
  }

  async workspaceSymbols(query: string): Promise<LspSymbol[]> {
    if (this.closed) return []
    const result = (await this.connection.sendRequest('workspace/symbol', { query })) as LspSymbol[] | null
    return Array.isArray(result)
      ? result.filter((symbol) => symbol && typeof symbol.name === 'string' && symbol.location?.uri)
      : []
  }

  /** Asks the server to shut down, then ends it. */
  async stop(): Promise<void> {
    if (!this.closed) {
      await Promise.race([
        this.connection.sendRequest('shutdown').then(() => this.connection.sendNotification('exit')),
        new Promise((resolve) => setTimeout(resolve, 1000)),
      ]).catch(() => {})
    }
    this.kill()
  }

  private kill(): void {
    this.closed = true
    this.connection.dispose()
    if (this.child.exitCode !== null || this.child.signalCode !== null || this.child.pid === undefined) return
    try {
      process.kill(-this.child.pid, 'SIGKILL')
    } catch {
      this.child.kill('SIGKILL')
    }
  }
}
