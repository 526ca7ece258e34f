import { definePlugin, registerSchemas, type KernelMember, type PluginKernel } from '../../sdk/index.js'
import { FORM_SCHEMAS } from './form/schemas.js'
import { FormService } from './form/service.js'
import {
  FormAlreadySettledErrorBody,
  FormInvalidAnswerErrorBody,
  FormNotFoundErrorBody,
  registerFormRoutes,
} from './http/v21-form-routes.js'
import { registerQuestionRoutes } from './routes.js'
import { QuestionAnswer, QuestionInfo, QuestionOption, QuestionRequest } from './schemas.js'
import { QuestionService } from './service.js'
import { questionTool } from './tool.js'
import type {} from './types.js' // app.forms
import { QuestionNotFoundErrorBody, registerQuestionV2Routes } from './v2-routes.js'

/** The kernel members this plugin uses (`needs`); its services take this view of the kernel. */
const needs = ['tools', 'publish'] as const satisfies readonly KernelMember[]
export type QuestionKernel = PluginKernel<(typeof needs)[number]>

/**
 * Questions the model asks the user through the `question` tool, and OpenCode 2.1's forms, which
 * those questions also are; answered over HTTP (v1, 1.18's `/api` and 2.1's `/api`).
 */
export default definePlugin({
  name: 'question',
  needs,
  register(app, kernel) {
    registerSchemas(app, [
      QuestionOption,
      QuestionInfo,
      QuestionAnswer,
      QuestionRequest,
      QuestionNotFoundErrorBody,
      ...FORM_SCHEMAS,
      FormNotFoundErrorBody,
      FormAlreadySettledErrorBody,
      FormInvalidAnswerErrorBody,
    ])
    const forms = new FormService(kernel)
    const service = new QuestionService(kernel, forms)
    app.decorate('forms', forms)
    kernel.tools.register('question', questionTool(service))
    registerQuestionRoutes(app, service)
    registerQuestionV2Routes(app, service)
    registerFormRoutes(app, forms)
  },
})
