// Structured output: a prompt with `format: {type: "json_schema", schema}` is answered through a
// `StructuredOutput` tool whose parameters are the schema; its input becomes `info.structured`.
import { type ToolDefinition } from '../../../sdk/index.js'
import type { AssistantMessage, OutputFormat } from '../schemas.js'

export const STRUCTURED_OUTPUT_TOOL = 'StructuredOutput'
/** Reminders after a reply without the tool, unless the format sets `retryCount`. */
export const DEFAULT_STRUCTURED_RETRIES = 2

export const STRUCTURED_OUTPUT_INSTRUCTION = `The user wants the final answer as structured data. When you have it, call the ${STRUCTURED_OUTPUT_TOOL} tool once with the answer as its input (it must match the tool's schema). Do not give the final answer as plain text.`
export const STRUCTURED_OUTPUT_REMINDER = `You did not call the ${STRUCTURED_OUTPUT_TOOL} tool. Call it now with your final answer as its input; it must match the tool's schema.`

export type JsonSchemaFormat = OutputFormat & { type: 'json_schema'; schema: Record<string, unknown> }

export function jsonFormat(format: OutputFormat | undefined): JsonSchemaFormat | undefined {
  return format?.type === 'json_schema' && format.schema ? (format as JsonSchemaFormat) : undefined
}

/** The tool for one step: its valid input is kept on the message and ends the turn. */
export function structuredOutputTool(
  format: JsonSchemaFormat,
  info: AssistantMessage,
  control: { stop: boolean },
): ToolDefinition {
  return {
    id: STRUCTURED_OUTPUT_TOOL,
    description:
      'Returns your final answer in the structured format the user asked for. Call it once, with the whole answer as its input.',
    parameters: { ...format.schema, type: 'object' } as never,
    async execute(args) {
      info.structured = args
      control.stop = true
      return { title: 'Structured output', output: 'The structured output was recorded.', metadata: {} }
    },
  }
}
