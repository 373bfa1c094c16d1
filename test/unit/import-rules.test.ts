/**
 * The folder rules of eslint.config.js fire: each fixture in test/fixtures/import-rules/<folder>/
 * is linted as if it sat in that folder of the real tree (so the config's folder globs apply),
 * with the project's own configuration. A `bad-*` fixture must be reported by
 * no-restricted-imports for its import; a `good-*` one must pass. The fixtures are ignored by
 * the normal lint and excluded from the type-check.
 */
import { ESLint, type Linter } from 'eslint';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'test/fixtures/import-rules');
const RULE = '@typescript-eslint/no-restricted-imports';

/** Where each fixture folder's files are linted from; their import paths are relative to it. */
const LINTED_AS: Record<string, string> = {
  common: 'common/__import_rule_fixture__.ts',
  temporal: 'temporal/__import_rule_fixture__.ts',
  activities: 'activities/seedance/__import_rule_fixture__.ts',
  storage: 'storage/__import_rule_fixture__.ts',
  workflows: 'workflows/__import_rule_fixture__.ts',
  workers: 'workers/__import_rule_fixture__.ts',
  client: 'client/commands/__import_rule_fixture__.ts',
  nexus: 'nexus/__import_rule_fixture__.ts',
  // The contract other teams' workflows bundle, held to a rule of its own.
  'nexus-contract': 'nexus/service.ts',
  simulator: 'simulator/__import_rule_fixture__.ts',
  test: 'test/unit/__import_rule_fixture__.ts',
};

// The project's own configuration, loaded here (ESLint would load it with a dynamic import,
// which jest's module sandbox refuses). The virtual files are not in the TypeScript project:
// lint without type information, and run only the import rule (the type-aware rules need it).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the config is CommonJS
const projectConfig = require('../../eslint.config.js') as Linter.Config[];
const eslint = new ESLint({
  cwd: ROOT,
  overrideConfigFile: true,
  baseConfig: projectConfig,
  overrideConfig: { languageOptions: { parserOptions: { project: null, projectService: false } } },
  ruleFilter: ({ ruleId }) => ruleId === RULE,
});

const fixtures = readdirSync(FIXTURES).flatMap((folder) =>
  readdirSync(path.join(FIXTURES, folder)).map((file) => ({ folder, file, text: readFileSync(path.join(FIXTURES, folder, file), 'utf8') })),
);

async function lint(folder: string, text: string): Promise<{ ruleId: string | null; line: number; message: string; fatal?: boolean }[]> {
  const filePath = LINTED_AS[folder];
  if (!filePath) throw new Error(`test/fixtures/import-rules/${folder}/ has no place in LINTED_AS`);
  const [result] = await eslint.lintText(text, { filePath: path.join(ROOT, filePath) });
  return result?.messages ?? [];
}

/** The line of a fixture's first import, the one a bad fixture gets wrong. */
const importLine = (text: string) => text.split('\n').findIndex((l) => l.startsWith('import ')) + 1;

describe('folder import rules', () => {
  test('every folder with a rule has a bad and a good fixture', () => {
    const folders = new Set(fixtures.map((f) => f.folder));
    expect([...folders].sort()).toEqual(Object.keys(LINTED_AS).sort());
    for (const folder of folders) {
      expect(fixtures.some((f) => f.folder === folder && f.file.startsWith('bad-'))).toBe(true);
    }
    expect(fixtures.every((f) => /^(bad|good)-[a-z-]+\.ts$/.test(f.file))).toBe(true);
  });

  test.each(fixtures.filter((f) => f.file.startsWith('bad-')).map((f) => [`${f.folder}/${f.file}`, f] as const))(
    '%s is reported',
    async (_name, f) => {
      const messages = await lint(f.folder, f.text);
      expect(messages.filter((m) => m.fatal)).toEqual([]);
      expect(messages.map((m) => ({ ruleId: m.ruleId, line: m.line }))).toEqual([{ ruleId: RULE, line: importLine(f.text) }]);
    },
  );

  test.each(fixtures.filter((f) => f.file.startsWith('good-')).map((f) => [`${f.folder}/${f.file}`, f] as const))(
    '%s passes',
    async (_name, f) => {
      expect(await lint(f.folder, f.text)).toEqual([]);
    },
  );

  test('a message says which folders are forbidden', async () => {
    const [message] = await lint('common', "import { main } from '../client/cli';\nexport const x = main;\n");
    expect(message?.message).toContain('forbidden here:');
    expect(message?.message).toContain('client/');
  });
});
