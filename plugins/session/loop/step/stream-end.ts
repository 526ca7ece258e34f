// Where the provider's stream of a model call ends, in the order of the call's own chunks. The
// model is wrapped so that a marker chunk follows the provider's last one; the `ai` SDK runs the
// step's tools only after the provider's finish, so the step can say it has streamed (2.1's
// `session.step.streamed`) before any of its tools runs, and after its last text and tool input.
import type { LanguageModel } from 'ai'

/** The marker's `rawValue`: nothing a provider sends can be this object. */
const STREAM_END = Object.freeze({ streamEnd: true })

type StreamingModel = {
  doStream(options: Record<string, unknown>): PromiseLike<{ stream: ReadableStream<unknown> }>
}

/** Whether a chunk of `fullStream` is the marker of the provider's end. */
export function isStreamEnd(chunk: { type: string; rawValue?: unknown }): boolean {
  return chunk.type === 'raw' && chunk.rawValue === STREAM_END
}

/**
 * The model whose streams end with the marker, or undefined when it cannot be wrapped (a model
 * named by a string, resolved by the SDK itself). Call `streamText` with `includeRawChunks: true`
 * for the marker to reach `fullStream`; the provider itself is asked for no raw chunks, so none
 * comes per token.
 */
export function markingStreamEnd(model: LanguageModel): LanguageModel | undefined {
  if (typeof model !== 'object' || model === null || typeof model.doStream !== 'function') return undefined
  const target = model as unknown as StreamingModel
  const doStream = async (options: Record<string, unknown>) => {
    const result = await target.doStream({ ...options, includeRawChunks: false })
    const marked = new TransformStream<unknown, unknown>({
      flush: (controller) => controller.enqueue({ type: 'raw', rawValue: STREAM_END }),
    })
    return { ...result, stream: result.stream.pipeThrough(marked) }
  }
  return new Proxy(model, {
    get(source, key) {
      if (key === 'doStream') return doStream
      const value: unknown = Reflect.get(source, key, source)
      return typeof value === 'function' ? value.bind(source) : value
    },
  })
}
