// OpenCode 2.1's envelope of location routes, `{ location: { directory }, data }`: the kernel's
// (1.18's also carried the project; 2.1's `Location.PublicRef` has the directory only).
export { PublicLocationEnvelope as Located, publicLocationEnvelope as located } from '../../../sdk/index.js'

/** The route config of 2.1's location routes: tagged errors, the instance from `location[directory]`. */
export const locationRoute = { v2: true, location: true }
