import { definePlugin } from '../../kernel/plugin.js'
import { registerSchemas } from '../../kernel/schemas.js'
import { registerFileRoutes } from './routes.js'
import { FileContent, FileInfo, FileNode, FindMatch, LspSymbol, Range } from './schemas.js'
import { FileService } from './service.js'

/** The project's files: text and name search, directory listings, contents and git status. */
export default definePlugin({
  name: 'file',
  register(app, kernel) {
    registerSchemas(app, [FindMatch, FileNode, FileContent, FileInfo, Range, LspSymbol])
    registerFileRoutes(app, new FileService(kernel))
  },
})
