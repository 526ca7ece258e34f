import { definePlugin, registerSchemas } from '../../sdk/index.js'
import { registerFileRoutes } from './routes.js'
import { FileContent, FileInfo, FileNode, FileSystemEntry, FindMatch, LspSymbol, Range } from './schemas.js'
import { FileService } from './service.js'
import { registerFileV2Routes } from './v2-routes.js'

/** The project's files: text and name search, directory listings, contents and git status. */
export default definePlugin({
  name: 'file',
  needs: [
    'paths',
    'bus',
    'storage',
    'instances',
    'extensions',
    'tools',
    'processes',
    'env',
    'internalAuthorization',
    'dev',
    'publish',
    'config',
    'loadedConfig',
    'invalidateConfig',
    'onInstanceBoot',
    'reloading',
    'clustered',
    'node',
    'keep',
  ],
  register(app, kernel) {
    registerSchemas(app, [FindMatch, FileNode, FileContent, FileInfo, Range, LspSymbol, FileSystemEntry])
    const service = new FileService(kernel)
    registerFileRoutes(app, service)
    registerFileV2Routes(app, service)
  },
})
