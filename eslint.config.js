// ESLint (flat config): typescript-eslint's recommended rules, the size limits a newcomer can read
// (files of at most 400 lines of code, functions of at most 80), and the one public surface: built-in
// plugins and examples reach the kernel only through `sdk/`, as a third-party plugin does.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test/reference/', 'test-output/', 'plugins/web/app/public/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
  },
  {
    files: ['kernel/**/*.ts', 'plugins/**/*.ts', 'plugins/**/*.tsx', 'sdk/**/*.ts', 'examples/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }],
    },
  },
  {
    files: ['plugins/**/*.ts', 'examples/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/kernel/*', '**/kernel'], message: 'Plugins reach the kernel through sdk/ only.' }] },
      ],
    },
  },
)
