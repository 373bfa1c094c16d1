// ESLint flat config. Type-aware rules catch un-awaited promises (a lost activity result or
// an unhandled rejection in a worker); the workflows/ guard keeps I/O out of deterministic code;
// the folder rules below keep the layers as drawn (test/unit/import-rules.test.ts proves each fires).
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

const NODE_BUILTINS = require('node:module').builtinModules.filter((m) => !m.startsWith('_'));

/** The project's top-level folders. */
const FOLDERS = [
  'common',
  'temporal',
  'storage',
  'activities',
  'workflows',
  'workers',
  'client',
  'nexus',
  'simulator',
  'bench',
  'test',
  'scripts',
];
const allBut = (...kept) => FOLDERS.filter((f) => !kept.includes(f));
/** Import paths that reach these top-level folders from a file up to four folders deep. */
const into = (folders) =>
  folders.flatMap((f) => [1, 2, 3, 4].flatMap((depth) => [`${'../'.repeat(depth)}${f}`, `${'../'.repeat(depth)}${f}/**`]));
/** `files` may import nothing of the `forbidden` folders (npm packages and their own folder stay open). */
const layer = (files, forbidden, why) => ({
  files,
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      { patterns: [{ group: into(forbidden), message: `${why} (forbidden here: ${forbidden.map((f) => `${f}/`).join(', ')})` }] },
    ],
  },
});

/** nexus/ imports common/, workflow types and itself. */
const NEXUS_PATTERNS = [
  {
    group: into(allBut('common', 'nexus', 'workflows')),
    message: `nexus/ builds on common/ and starts workflows by name (forbidden here: ${allBut('common', 'nexus', 'workflows')
      .map((f) => `${f}/`)
      .join(', ')})`,
  },
  { group: into(['workflows']), allowTypeImports: true, message: 'nexus/ starts workflows by name: import their types only' },
];

module.exports = tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      '.infra/**',
      'renders/**',
      'bench/results/**',
      // Deliberately wrong imports, linted under virtual paths by test/unit/import-rules.test.ts.
      'test/fixtures/import-rules/**',
    ],
  },
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
              group: into(['activities', 'storage', 'workers', 'client']),
              allowTypeImports: true,
              message: 'import activity types only',
            },
            { group: into(['temporal', 'bench', 'test']), message: 'workflows never connect to Temporal or import tools' },
          ],
        },
      ],
    },
  },
  // The layers. common/ is pure and shared by everyone, workflows included; temporal/ is the
  // connection, on top of common/ only; activities/ and storage/ are what workers run, never the
  // CLI's or the worker process's code; the worker is not the CLI; tests and tools sit on top.
  layer(['common/**/*.ts'], allBut('common'), 'common/ imports npm packages and common/ only'),
  layer(['temporal/**/*.ts'], allBut('common', 'temporal'), 'temporal/ builds on common/ only'),
  layer(
    ['activities/**/*.ts', 'storage/**/*.ts'],
    ['client', 'workers', 'bench', 'test'],
    'activities and storage are injected into workers',
  ),
  layer(['workers/**/*.ts'], ['client', 'bench', 'test'], 'the worker does not depend on the CLI or on tools'),
  layer(['client/**/*.ts'], ['bench', 'test'], 'the CLI does not depend on tools'),
  layer(['simulator/**/*.ts'], allBut('common', 'simulator'), 'the simulator stands alone'),
  // nexus/: the Nexus service. The handlers start our workflows by name (their types only) and
  // build on common/; service.ts, the contract, is bundled into other teams' workflows, so it is
  // held to more: no Node modules, no Temporal client, worker or handler code, project code as
  // types only.
  { files: ['nexus/**/*.ts'], rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: NEXUS_PATTERNS }] } },
  {
    files: ['nexus/service.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...NODE_BUILTINS.flatMap((m) => [m, `node:${m}`]).map((name) => ({
              name,
              message: "the contract is bundled into callers' workflows",
            })),
            ...['@temporalio/client', '@temporalio/worker', '@temporalio/nexus'].map((name) => ({
              name,
              message: "the contract is bundled into callers' workflows: handler code belongs in nexus/handlers.ts",
            })),
          ],
          patterns: [
            ...NEXUS_PATTERNS,
            { group: into(['common']), allowTypeImports: true, message: "the contract names types only: callers' bundles stay small" },
          ],
        },
      ],
    },
  },
  layer(['test/**/*.ts'], ['bench'], 'shared helpers live in test/helpers; bench/ may import them, not the reverse'),
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
