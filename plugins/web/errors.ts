import { NamedError } from '../../sdk/index.js'

/** The server runs from sources whose web app was never built (`npm run build:web`). */
export class WebAppNotBuiltError extends NamedError {
  constructor() {
    super('WebAppNotBuiltError', 503, {
      message: 'The web app is not built; run `npm run build:web` (or `npm run build`)',
    })
  }
}
