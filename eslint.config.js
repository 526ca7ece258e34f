// ESLint (flat config): typescript-eslint's recommended rules, the size limits a newcomer can read
// (files of at most 400 lines of code, functions of at most 80; blank lines and comments not
// counted), and the one public surface: built-in plugins and examples reach the kernel only
// through `sdk/`, as a third-party plugin does. Tests are exempt from the size limits.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const node = Object.fromEntries(
  [
    'process',
    'console',
    'URL',
    'Buffer',
    'performance',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'fetch',
    'AbortController',
    'AbortSignal',
    'TextEncoder',
    'TextDecoder',
  ].map((name) => [name, 'readonly']),
)

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test/reference/', 'test-output/', 'plugins/web/app/public/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: node },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: ['kernel/**/*.ts', 'plugins/**/*.ts', 'plugins/**/*.tsx', 'sdk/**/*.ts', 'examples/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  {
    files: ['plugins/**/*.ts', 'plugins/**/*.tsx', 'examples/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/kernel/*', '**/kernel'], message: 'Plugins reach the kernel through sdk/ only.' }] },
      ],
    },
  },
  {
    // chai's `expect(x).to.be.true` is an expression statement; test doubles are loosely typed.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unused-expressions': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
)
