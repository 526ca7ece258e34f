import { Type } from 'typebox'
import { defineEvent, ref } from '../../sdk/index.js'
import { FormAnswer, FormInfo } from './form/schemas.js'
import { QuestionAnswer, QuestionRequestFields } from './schemas.js'

export const QuestionAsked = defineEvent('question.asked', QuestionRequestFields)
export const QuestionReplied = defineEvent('question.replied', {
  sessionID: Type.String(),
  requestID: Type.String(),
  answers: Type.Array(ref(QuestionAnswer)),
})
export const QuestionRejected = defineEvent('question.rejected', { sessionID: Type.String(), requestID: Type.String() })

// OpenCode 2.1's forms (the `question` tool's questions are forms too).
export const FormCreated = defineEvent('form.created', { form: ref(FormInfo) })
export const FormReplied = defineEvent('form.replied', {
  id: Type.String(),
  sessionID: Type.String(),
  answer: ref(FormAnswer),
})
export const FormCancelled = defineEvent('form.cancelled', { id: Type.String(), sessionID: Type.String() })
