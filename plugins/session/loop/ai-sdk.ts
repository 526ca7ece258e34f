// The session runner, split by concern. A prompt's walk through it, top-down:
//   admission.ts   which prompts a turn answers, and when (PromptAdmission)
//   turn.ts        one turn: steps until the model stops, summaries, held calls (PromptRunner)
//   step.ts        one model call streamed into parts, its retries and snapshots (StepRunner)
//   tool-call.ts   the tools a step offers, one call's run and its permissions (ToolCalls)
//   user-tools.ts  tool calls the user asked for: shell commands, command subtasks (UserTools)
// This file holds what several of them share.

let ai: typeof import('ai') | undefined
/** The `ai` SDK, imported on first use so start-up does not pay for it. */
export async function loadAi(): Promise<typeof import('ai')> {
  return (ai ??= await import('ai'))
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
