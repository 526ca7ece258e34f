/** A unified diff, one line per row, coloured by kind. Text only: never parsed as HTML. */
export function DiffView({ patch, max = 400 }: { patch: string; max?: number }) {
  const lines = patch.split('\n').filter((line) => !line.startsWith('Index:') && !line.startsWith('====='))
  const shown = lines.slice(0, max)
  return (
    <pre class="diff">
      {shown.map((line, i) => {
        const kind =
          line.startsWith('+++') || line.startsWith('---')
            ? 'file'
            : line.startsWith('@@')
              ? 'hunk'
              : line.startsWith('+')
                ? 'add'
                : line.startsWith('-')
                  ? 'del'
                  : ''
        return (
          <div key={i} class={`diff-line ${kind}`}>
            {line || ' '}
          </div>
        )
      })}
      {lines.length > max && <div class="diff-line more">… {lines.length - max} more lines</div>}
    </pre>
  )
}
