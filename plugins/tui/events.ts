import { Type } from 'typebox'
import { defineEvent } from '../../sdk/index.js'

export const ToastVariant = Type.Union([
  Type.Literal('info'),
  Type.Literal('success'),
  Type.Literal('warning'),
  Type.Literal('error'),
])

export const PromptAppendFields = { text: Type.String({ maxLength: 1_000_000 }) }
export const CommandExecuteFields = { command: Type.String({ maxLength: 200 }) }
export const ToastShowFields = {
  title: Type.Optional(Type.String({ maxLength: 1000 })),
  message: Type.String({ maxLength: 100_000 }),
  variant: ToastVariant,
  duration: Type.Optional(Type.Integer({ minimum: 1, maximum: 3_600_000 })),
}
export const SessionSelectFields = { sessionID: Type.String({ pattern: '^ses', maxLength: 100 }) }

export const TuiPromptAppend = defineEvent('tui.prompt.append', PromptAppendFields)
export const TuiCommandExecute = defineEvent('tui.command.execute', CommandExecuteFields)
export const TuiToastShow = defineEvent('tui.toast.show', ToastShowFields)
export const TuiSessionSelect = defineEvent('tui.session.select', SessionSelectFields)
