/** A plugin's init, hook or loader that did not settle in time. */
export class HookTimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`${what} did not finish within ${ms} ms`)
    this.name = 'PluginTimeoutError'
  }
}
