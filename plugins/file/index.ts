import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { FileNotFoundErrorBody } from './errors.js'
import { registerFileRoutes } from './routes.js'
import { FileContent, FileInfo, FileNode, FileSystemEntry, FindMatch, LspSymbol, Range } from './schemas.js'
import { FileService } from './service.js'
import { registerFileV2Routes } from './v2-routes.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['bus', 'env'] as const satisfies readonly KernelMember[]
export type FileKernel = PluginKernel<(typeof needs)[number]>

/** The project's files: text and name search, directory listings, contents, git status, and raw reads and writes. */
export default definePlugin({
  name: 'file',
  needs,
  async register(app, kernel) {
    registerSchemas(app, [FindMatch, FileNode, FileContent, FileInfo, Range, LspSymbol, FileSystemEntry])
    registerSchemas(app, [FileNotFoundErrorBody])
    const service = new FileService(kernel)
    registerFileRoutes(app, service)
    await registerFileV2Routes(app, service)
  },
})
