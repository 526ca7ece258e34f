import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { registerQuestionRoutes } from './routes.js'
import { QuestionAnswer, QuestionInfo, QuestionOption, QuestionRequest } from './schemas.js'
import { QuestionService } from './service.js'
import { questionTool } from './tool.js'
import { QuestionNotFoundErrorBody, registerQuestionV2Routes } from './v2-routes.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['tools', 'publish'] as const satisfies readonly KernelMember[]
export type QuestionKernel = PluginKernel<(typeof needs)[number]>

/** Questions the model asks the user through the `question` tool, answered over HTTP. */
export default definePlugin({
  name: 'question',
  needs,
  register(app, kernel) {
    registerSchemas(app, [QuestionOption, QuestionInfo, QuestionAnswer, QuestionRequest, QuestionNotFoundErrorBody])
    const service = new QuestionService(kernel)
    kernel.tools.register('question', questionTool(service))
    registerQuestionRoutes(app, service)
    registerQuestionV2Routes(app, service)
  },
})
