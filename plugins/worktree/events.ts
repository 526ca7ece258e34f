import { Type } from 'typebox'
import { defineEvent } from '../../sdk/index.js'

/** The new worktree is checked out and its start commands succeeded. */
export const WorktreeReady = defineEvent('worktree.ready', { name: Type.String(), branch: Type.String() })
/** A start command failed or timed out; the message names the worktree. */
export const WorktreeFailed = defineEvent('worktree.failed', { message: Type.String() })
/** OpenCode 2.1: the project's worktree inventory changed (created, removed, refreshed). */
export const WorktreeUpdated = defineEvent('worktree.updated', { projectID: Type.String() })
