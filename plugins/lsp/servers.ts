/** A language server the kernel knows how to start (the client itself comes later). */
export interface LspServerDefinition {
  id: string
  name: string
  /** File extensions it serves, with the dot. */
  extensions: string[]
  /** The program and its arguments; the program is looked up in node_modules/.bin, then PATH. */
  command: string[]
}

const JS = ['.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs', '.mts', '.cts']

/** Common language servers, by the id config `lsp.<id>` uses to override or disable one. */
export const BUILTIN_SERVERS: readonly LspServerDefinition[] = [
  {
    id: 'typescript',
    name: 'typescript-language-server',
    extensions: JS,
    command: ['typescript-language-server', '--stdio'],
  },
  { id: 'deno', name: 'deno', extensions: JS, command: ['deno', 'lsp'] },
  {
    id: 'eslint',
    name: 'vscode-eslint-language-server',
    extensions: [...JS, '.vue'],
    command: ['vscode-eslint-language-server', '--stdio'],
  },
  {
    id: 'biome',
    name: 'biome',
    extensions: [...JS, '.json', '.jsonc', '.css', '.graphql'],
    command: ['biome', 'lsp-proxy'],
  },
  { id: 'vue', name: 'vue-language-server', extensions: ['.vue'], command: ['vue-language-server', '--stdio'] },
  { id: 'svelte', name: 'svelteserver', extensions: ['.svelte'], command: ['svelteserver', '--stdio'] },
  { id: 'astro', name: 'astro-ls', extensions: ['.astro'], command: ['astro-ls', '--stdio'] },
  { id: 'gopls', name: 'gopls', extensions: ['.go'], command: ['gopls'] },
  { id: 'rust', name: 'rust-analyzer', extensions: ['.rs'], command: ['rust-analyzer'] },
  { id: 'pyright', name: 'pyright', extensions: ['.py', '.pyi'], command: ['pyright-langserver', '--stdio'] },
  {
    id: 'clangd',
    name: 'clangd',
    extensions: ['.c', '.cc', '.cpp', '.cxx', '.c++', '.h', '.hh', '.hpp', '.hxx', '.h++'],
    command: ['clangd', '--background-index'],
  },
  { id: 'ruby-lsp', name: 'ruby-lsp', extensions: ['.rb', '.rake', '.gemspec', '.ru'], command: ['ruby-lsp'] },
  { id: 'elixir-ls', name: 'elixir-ls', extensions: ['.ex', '.exs'], command: ['elixir-ls'] },
  { id: 'zls', name: 'zls', extensions: ['.zig', '.zon'], command: ['zls'] },
  { id: 'csharp', name: 'csharp-ls', extensions: ['.cs'], command: ['csharp-ls'] },
  { id: 'fsharp', name: 'fsautocomplete', extensions: ['.fs', '.fsi', '.fsx'], command: ['fsautocomplete'] },
  { id: 'sourcekit-lsp', name: 'sourcekit-lsp', extensions: ['.swift'], command: ['sourcekit-lsp'] },
  { id: 'jdtls', name: 'jdtls', extensions: ['.java'], command: ['jdtls'] },
  { id: 'kotlin', name: 'kotlin-language-server', extensions: ['.kt', '.kts'], command: ['kotlin-language-server'] },
  { id: 'lua-ls', name: 'lua-language-server', extensions: ['.lua'], command: ['lua-language-server'] },
  {
    id: 'bash',
    name: 'bash-language-server',
    extensions: ['.sh', '.bash', '.zsh'],
    command: ['bash-language-server', 'start'],
  },
  {
    id: 'yaml-ls',
    name: 'yaml-language-server',
    extensions: ['.yaml', '.yml'],
    command: ['yaml-language-server', '--stdio'],
  },
  { id: 'php', name: 'intelephense', extensions: ['.php'], command: ['intelephense', '--stdio'] },
  { id: 'dart', name: 'dart', extensions: ['.dart'], command: ['dart', 'language-server', '--lsp'] },
  { id: 'ocaml-lsp', name: 'ocamllsp', extensions: ['.ml', '.mli'], command: ['ocamllsp'] },
  { id: 'terraform', name: 'terraform-ls', extensions: ['.tf', '.tfvars'], command: ['terraform-ls', 'serve'] },
  { id: 'texlab', name: 'texlab', extensions: ['.tex', '.bib'], command: ['texlab'] },
  {
    id: 'dockerfile',
    name: 'docker-langserver',
    extensions: ['.dockerfile'],
    command: ['docker-langserver', '--stdio'],
  },
  { id: 'gleam', name: 'gleam', extensions: ['.gleam'], command: ['gleam', 'lsp'] },
  { id: 'clojure-lsp', name: 'clojure-lsp', extensions: ['.clj', '.cljs', '.cljc', '.edn'], command: ['clojure-lsp'] },
  { id: 'nixd', name: 'nixd', extensions: ['.nix'], command: ['nixd'] },
  { id: 'tinymist', name: 'tinymist', extensions: ['.typ', '.typc'], command: ['tinymist'] },
  {
    id: 'haskell-language-server',
    name: 'haskell-language-server',
    extensions: ['.hs', '.lhs'],
    command: ['haskell-language-server-wrapper', '--lsp'],
  },
]
