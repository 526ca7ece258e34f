/** A formatter the kernel knows; `$FILE` in its command is the file to format. */
export interface FormatterDefinition {
  name: string
  /** File extensions it formats, with the dot. */
  extensions: string[]
  /** The program and its arguments; the program is looked up in node_modules/.bin, then PATH. */
  command: string[]
}

const WEB = [
  '.js',
  '.jsx',
  '.mjs',
  '.cjs',
  '.ts',
  '.tsx',
  '.mts',
  '.cts',
  '.html',
  '.htm',
  '.css',
  '.scss',
  '.sass',
  '.less',
  '.vue',
  '.svelte',
  '.json',
  '.jsonc',
  '.yaml',
  '.yml',
  '.md',
  '.mdx',
  '.graphql',
  '.gql',
]
const C = ['.c', '.cc', '.cpp', '.cxx', '.c++', '.h', '.hh', '.hpp', '.hxx', '.h++', '.ino']
const RUBY = ['.rb', '.rake', '.gemspec', '.ru']

/** Common formatters, by the name config `formatter.<name>` uses to override or disable one. */
export const BUILTIN_FORMATTERS: readonly FormatterDefinition[] = [
  { name: 'prettier', extensions: WEB, command: ['prettier', '--write', '$FILE'] },
  { name: 'biome', extensions: WEB, command: ['biome', 'format', '--write', '$FILE'] },
  { name: 'gofmt', extensions: ['.go'], command: ['gofmt', '-w', '$FILE'] },
  { name: 'rustfmt', extensions: ['.rs'], command: ['rustfmt', '$FILE'] },
  { name: 'ruff', extensions: ['.py', '.pyi'], command: ['ruff', 'format', '$FILE'] },
  { name: 'uv', extensions: ['.py', '.pyi'], command: ['uv', 'format', '--', '$FILE'] },
  { name: 'clang-format', extensions: C, command: ['clang-format', '-i', '$FILE'] },
  { name: 'shfmt', extensions: ['.sh', '.bash'], command: ['shfmt', '-w', '$FILE'] },
  { name: 'zig', extensions: ['.zig', '.zon'], command: ['zig', 'fmt', '$FILE'] },
  { name: 'mix', extensions: ['.ex', '.exs', '.eex', '.heex', '.leex'], command: ['mix', 'format', '$FILE'] },
  { name: 'dart', extensions: ['.dart'], command: ['dart', 'format', '$FILE'] },
  { name: 'ktlint', extensions: ['.kt', '.kts'], command: ['ktlint', '-F', '$FILE'] },
  { name: 'nixfmt', extensions: ['.nix'], command: ['nixfmt', '$FILE'] },
  { name: 'ocamlformat', extensions: ['.ml', '.mli'], command: ['ocamlformat', '-i', '$FILE'] },
  { name: 'rubocop', extensions: RUBY, command: ['rubocop', '--autocorrect', '$FILE'] },
  { name: 'standardrb', extensions: RUBY, command: ['standardrb', '--fix', '$FILE'] },
  { name: 'terraform', extensions: ['.tf', '.tfvars'], command: ['terraform', 'fmt', '$FILE'] },
  { name: 'gleam', extensions: ['.gleam'], command: ['gleam', 'format', '$FILE'] },
  { name: 'ormolu', extensions: ['.hs'], command: ['ormolu', '-i', '$FILE'] },
  { name: 'cljfmt', extensions: ['.clj', '.cljs', '.cljc', '.edn'], command: ['cljfmt', 'fix', '--quiet', '$FILE'] },
  { name: 'latexindent', extensions: ['.tex'], command: ['latexindent', '-w', '-s', '$FILE'] },
  { name: 'air', extensions: ['.R'], command: ['air', 'format', '$FILE'] },
  { name: 'pint', extensions: ['.php'], command: ['pint', '$FILE'] },
]
