import { definePlugin } from '../../kernel/plugin.js'
import { registerSchemas } from '../../kernel/schemas.js'
import { registerQuestionRoutes } from './routes.js'
import { QuestionAnswer, QuestionInfo, QuestionOption, QuestionRequest } from './schemas.js'
import { QuestionService } from './service.js'
import { questionTool } from './tool.js'

/** Questions the model asks the user through the `question` tool, answered over HTTP. */
export default definePlugin({
  name: 'question',
  register(app, kernel) {
    registerSchemas(app, [QuestionOption, QuestionInfo, QuestionAnswer, QuestionRequest])
    const service = new QuestionService(kernel)
    kernel.tools.register('question', questionTool(service))
    registerQuestionRoutes(app, service)
  },
})
