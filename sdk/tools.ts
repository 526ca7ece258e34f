import { defineExtensionPoint } from '../kernel/core/extensions.js'
import type { Instance } from '../kernel/instances/instance.js'

/** What a post-edit hook learns about a file a tool just wrote. */
export interface FileEditedInput {
  instance: Instance
  sessionID: string
  /** Absolute path of the file. */
  file: string
  signal: AbortSignal
}

/**
 * Runs after the `write`, `edit` and `apply_patch` tools change a file (a formatter, a linter,
 * diagnostics). Text it returns is appended to the tool's output for the model; a hook that
 * throws is logged and ignored.
 * `kernel.extensions.provide(FileEditHook, 'my-plugin', async ({ file }) => ...)`.
 */
export type FileEditHookFn = (input: FileEditedInput) => Promise<string | void> | string | void

export const FileEditHook = defineExtensionPoint<FileEditHookFn>('tools.file-edited')
