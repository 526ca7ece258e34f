import { Type } from 'typebox'
import { defineEvent } from '../../sdk/index.js'

/** A tool wrote a file (absolute path), as OpenCode's `file.edited`. */
export const FileEdited = defineEvent('file.edited', { file: Type.String() })
