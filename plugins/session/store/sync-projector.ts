import { relative } from 'node:path'
import type { SyncProjector } from '../../sync/types.js'
import type { MessageInfo, Part, SessionInfo } from '../schemas.js'
import type { SessionStore } from './store.js'

/**
 * Replays the session plugin's logged events (`POST /sync/replay`) into its store, with the ids
 * they carry. A session arriving from another server is placed in the directory the replay names.
 */
export function sessionProjector(store: SessionStore): SyncProjector {
  const existing = (sessionID: string): SessionInfo => {
    const info = store.getSession(sessionID)
    if (!info) throw new Error(`session ${sessionID} does not exist here`)
    return info
  }
  return {
    types: [
      'session.created',
      'session.updated',
      'session.deleted',
      'message.updated',
      'message.removed',
      'message.part.updated',
      'message.part.removed',
    ],
    apply(type, data, { aggregateID, instance }) {
      switch (type) {
        case 'session.created': {
          const info = data.info as SessionInfo
          if (info.id !== aggregateID) throw new Error(`info.id must be ${aggregateID}`)
          if (store.getSession(aggregateID))
            throw new Error(`session ${aggregateID} already exists here without this history`)
          Object.assign(info, {
            projectID: instance.project.id,
            directory: instance.directory,
            path: relative(instance.worktree, instance.directory),
          })
          store.createSession(info)
          return
        }
        case 'session.updated': {
          const info = data.info as SessionInfo
          if (info.id !== aggregateID) throw new Error(`info.id must be ${aggregateID}`)
          // Where the session lives on this server stays as it was placed.
          const here = existing(aggregateID)
          Object.assign(info, { projectID: here.projectID, directory: here.directory, path: here.path })
          store.saveSession(info)
          return
        }
        case 'session.deleted':
          existing(aggregateID)
          store.deleteSessions([aggregateID])
          return
        case 'message.updated': {
          const info = data.info as MessageInfo
          if (info.sessionID !== aggregateID) throw new Error(`info.sessionID must be ${aggregateID}`)
          existing(aggregateID)
          store.saveMessage(info)
          return
        }
        case 'message.removed':
          store.deleteMessage(aggregateID, data.messageID as string)
          return
        case 'message.part.updated': {
          const part = data.part as Part
          if (part.sessionID !== aggregateID) throw new Error(`part.sessionID must be ${aggregateID}`)
          if (!store.getMessage(aggregateID, part.messageID))
            throw new Error(`message ${part.messageID} does not exist here`)
          store.savePart(part)
          return
        }
        case 'message.part.removed':
          store.deletePart(data.messageID as string, data.partID as string)
          return
      }
    },
  }
}
