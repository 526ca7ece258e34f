// Module resolution hook for dev mode (registered with `module.register`). A plugin entry imported
// as `index.js?v=N&root=<its folder>` passes that query on to the relative imports that stay in
// its folder, so an edited plugin is evaluated afresh, while the kernel and sdk modules it imports
// keep their one loaded copy.

interface ResolveContext {
  parentURL?: string
}
interface ResolveResult {
  url: string
  format?: string | null
  shortCircuit?: boolean
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<ResolveResult>

export async function resolve(
  specifier: string,
  context: ResolveContext,
  nextResolve: NextResolve,
): Promise<ResolveResult> {
  const result = await nextResolve(specifier, context)
  const parent = context.parentURL
  if (!parent || !parent.includes('?') || !(specifier.startsWith('./') || specifier.startsWith('../'))) return result
  const query = new URL(parent).searchParams
  const root = query.get('root')
  if (!query.get('v') || !root || !result.url.startsWith(root) || result.url.includes('?')) return result
  return { ...result, url: `${result.url}?${query.toString()}` }
}
