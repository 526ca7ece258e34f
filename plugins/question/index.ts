import { definePlugin, registerSchemas } from '../../sdk/index.js'
import { registerQuestionRoutes } from './routes.js'
import { QuestionAnswer, QuestionInfo, QuestionOption, QuestionRequest } from './schemas.js'
import { QuestionService } from './service.js'
import { questionTool } from './tool.js'
import { QuestionNotFoundErrorBody, registerQuestionV2Routes } from './v2-routes.js'

/** Questions the model asks the user through the `question` tool, answered over HTTP. */
export default definePlugin({
  name: 'question',
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
    registerSchemas(app, [QuestionOption, QuestionInfo, QuestionAnswer, QuestionRequest, QuestionNotFoundErrorBody])
    const service = new QuestionService(kernel)
    kernel.tools.register('question', questionTool(service))
    registerQuestionRoutes(app, service)
    registerQuestionV2Routes(app, service)
  },
})
