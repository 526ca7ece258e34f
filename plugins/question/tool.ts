import { Type } from 'typebox'
import { defineTool } from '../../sdk/index.js'
import type { QuestionService } from './service.js'

// The model sees a plain copy of the schema (no `$ref`s), since tool parameters have no registry.
const QuestionParameter = Type.Object({
  question: Type.String({ description: 'Complete question' }),
  header: Type.String({ description: 'Very short label (max 30 chars)' }),
  options: Type.Array(
    Type.Object({
      label: Type.String({ description: 'Display text (1-5 words, concise)' }),
      description: Type.String({ description: 'Explanation of choice' }),
    }),
    { description: 'Available choices' },
  ),
  multiple: Type.Optional(Type.Boolean({ description: 'Allow selecting multiple choices' })),
  custom: Type.Optional(Type.Boolean({ description: 'Allow typing a custom answer (default: true)' })),
})

/** The `question` tool: asks the user and waits; a dismissal fails it and stops the loop (a 2.x cancel with a message lets it go on). */
export function questionTool(questions: QuestionService) {
  return defineTool({
    id: 'question',
    description:
      'Ask the user one or more questions while you work: to gather preferences or requirements, clarify ambiguous instructions, or offer choices. ' +
      'Each question has a short header and options (label and description); set multiple to allow several choices. The user may also type their own answer.',
    parameters: Type.Object({
      questions: Type.Array(QuestionParameter, { minItems: 1, description: 'Questions to ask' }),
    }),
    async execute(args, context) {
      const answers = await questions.ask(
        context.instance,
        {
          sessionID: context.sessionID,
          questions: args.questions,
          tool: { messageID: context.messageID, callID: context.callID },
        },
        context.abort,
      )
      const formatted = args.questions
        .map((q, i) => `"${q.question}"="${answers[i]?.length ? answers[i]!.join(', ') : 'Unanswered'}"`)
        .join(', ')
      const count = args.questions.length
      return {
        title: `Asked ${count} question${count === 1 ? '' : 's'}`,
        output: `User has answered your questions: ${formatted}. You can now continue with the user's answers in mind.`,
        metadata: { answers, truncated: false },
      }
    },
  })
}
