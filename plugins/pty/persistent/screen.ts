import { createRequire } from 'node:module'
import type { ITerminalAddon, Terminal as HeadlessTerminal } from '@xterm/headless'
import type { Cursor } from './schemas.js'

/** Lines a persistent terminal keeps above its screen (what `read` with more lines than rows, and snapshots, include). */
export const SCROLLBACK_LINES = 1000

/** The part of `@xterm/addon-serialize` used here. */
interface Serializer extends ITerminalAddon {
  serialize(): string
}

interface XtermModules {
  Terminal: typeof HeadlessTerminal
  SerializeAddon: new () => Serializer
}

let modules: XtermModules | undefined
/** xterm's headless emulator and its serializer, loaded with the first persistent terminal. */
export async function loadScreenModules(): Promise<XtermModules> {
  if (modules) return modules
  // A CommonJS package: its exports are on the default import.
  const headless = await import('@xterm/headless')
  // Required untyped: the addon's typings import the browser xterm's, which pull the DOM library
  // into the server's globals (and change `fetch`'s types).
  const serialize = createRequire(import.meta.url)('@xterm/addon-serialize') as Pick<XtermModules, 'SerializeAddon'>
  modules = { Terminal: headless.default.Terminal, SerializeAddon: serialize.SerializeAddon }
  return modules
}

/**
 * What a persistent terminal shows: its output run through a terminal emulator (xterm's
 * headless one), so a client can be given the screen as text or as escape sequences that redraw
 * it, without replaying everything the program ever wrote.
 */
export class Screen {
  private readonly terminal: HeadlessTerminal
  private readonly serializer: Serializer
  /** Waiting `settled()` calls, resolved at once when the screen is disposed (xterm then drops pending writes). */
  private readonly waiting = new Set<() => void>()
  private disposed = false
  /**
   * Bytes of output the emulator has parsed: what the screen shows is exactly the output up to
   * this offset whenever xterm is not in the middle of parsing (between tasks), since it parses
   * each write whole and in order.
   */
  parsed = 0

  constructor(xterm: XtermModules, cols: number, rows: number, onTitle: (title: string) => void) {
    this.terminal = new xterm.Terminal({ cols, rows, scrollback: SCROLLBACK_LINES, allowProposedApi: true })
    this.serializer = new xterm.SerializeAddon()
    this.terminal.loadAddon(this.serializer)
    this.terminal.onTitleChange(onTitle)
  }

  /** Writes output that is `bytes` long in UTF-8. */
  write(data: string, bytes: number): void {
    if (!this.disposed) this.terminal.write(data, () => (this.parsed += bytes))
  }

  resize(cols: number, rows: number): void {
    if (!this.disposed) this.terminal.resize(cols, rows)
  }

  /** Resolves once everything written so far is parsed (xterm parses writes asynchronously). */
  settled(): Promise<void> {
    if (this.disposed) return Promise.resolve()
    return new Promise((resolve) => {
      const done = () => {
        this.waiting.delete(done)
        resolve()
      }
      this.waiting.add(done)
      this.terminal.write('', done)
    })
  }

  /** Where the cursor is, relative to the visible screen. */
  cursor(): Cursor {
    const buffer = this.terminal.buffer.active
    return { x: buffer.cursorX, y: buffer.cursorY }
  }

  /** The last `count` physical rows (scrollback included), trailing blanks of each row trimmed, blank rows kept. */
  lastRows(count: number): string[] {
    const buffer = this.terminal.buffer.active
    const rows: string[] = []
    for (let index = Math.max(0, buffer.length - count); index < buffer.length; index++)
      rows.push(buffer.getLine(index)?.translateToString(true) ?? '')
    return rows
  }

  /** Scrollback and screen as text, without the trailing blank rows. */
  text(): string {
    return this.lastRows(Number.MAX_SAFE_INTEGER).join('\n').trimEnd()
  }

  /** Escape sequences that redraw the scrollback, the screen, its modes and the cursor, base64-encoded. */
  checkpoint(): string {
    return Buffer.from(this.serializer.serialize(), 'utf8').toString('base64')
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.terminal.dispose()
    for (const done of [...this.waiting]) done()
  }
}
