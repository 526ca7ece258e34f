import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { registerFileRoutes } from './routes.js'
import { FileContent, FileInfo, FileNode, FileSystemEntry, FindMatch, LspSymbol, Range } from './schemas.js'
import { FileService } from './service.js'
import { registerFileV2Routes } from './v2-routes.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['bus', 'env'] as const satisfies readonly KernelMember[]
export type FileKernel = PluginKernel<(typeof needs)[number]>

/** The project's files: text and name search, directory listings, contents and git status. */
export default definePlugin({
  name: 'file',
  needs,
  register(app, kernel) {
    registerSchemas(app, [FindMatch, FileNode, FileContent, FileInfo, Range, LspSymbol, FileSystemEntry])
    const service = new FileService(kernel)
    registerFileRoutes(app, service)
    registerFileV2Routes(app, service)
  },
})
