import { Type } from 'typebox'
import { defineEvent, ref } from '../../sdk/index.js'
import { QuestionAnswer, QuestionRequestFields } from './schemas.js'

export const QuestionAsked = defineEvent('question.asked', QuestionRequestFields)
export const QuestionReplied = defineEvent('question.replied', {
  sessionID: Type.String(),
  requestID: Type.String(),
  answers: Type.Array(ref(QuestionAnswer)),
})
export const QuestionRejected = defineEvent('question.rejected', { sessionID: Type.String(), requestID: Type.String() })
