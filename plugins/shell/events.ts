import { Type } from 'typebox'
import { StringEnum, defineEvent, ref } from '../../sdk/index.js'
import { SHELL_STATUSES, ShellId, ShellInfo } from './schemas.js'

/** A shell started (its info without `pid`, as OpenCode 2.1.2 sends it). */
export const ShellCreated = defineEvent('shell.created', { info: ref(ShellInfo) })
/** A shell ended: `exit` when it exited by itself with a code. */
export const ShellExited = defineEvent('shell.exited', {
  id: ShellId,
  status: StringEnum(SHELL_STATUSES),
  exit: Type.Optional(Type.Number()),
})
/** A shell was removed (its output with it). */
export const ShellDeleted = defineEvent('shell.deleted', { id: ShellId })
