// The `ai` SDK, loaded lazily, and the message of whatever a model call or a tool threw.
let ai: typeof import('ai') | undefined
/** The `ai` SDK, imported on first use so start-up does not pay for it. */
export async function loadAi(): Promise<typeof import('ai')> {
  return (ai ??= await import('ai'))
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
