// ESLint flat config. Type-aware rules catch un-awaited promises (a lost activity result or
// an unhandled rejection in a worker); the workflows/ guard keeps I/O out of deterministic code.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

const NODE_BUILTINS = require('node:module').builtinModules.filter((m) => !m.startsWith('_'));

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.infra/**', 'renders/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.json', tsconfigRootDir: __dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
    },
  },
  {
    // Workflows replay deterministically: no I/O, no HTTP or AWS clients, no activity code.
    files: ['workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...NODE_BUILTINS.flatMap((m) => [m, `node:${m}`]).map((name) => ({ name, message: 'workflows must not do I/O' })),
            { name: 'axios', message: 'HTTP belongs in activities' },
          ],
          patterns: [
            { group: ['@aws-sdk/*'], message: 'storage belongs in activities' },
            {
              group: ['../activities/*', '../activities/**', '../workers/**', '../client/**'],
              allowTypeImports: true,
              message: 'import activity types only',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
