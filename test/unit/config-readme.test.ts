/**
 * The README's configuration table and the configuration schema cannot drift: every variable
 * the schema declares is in the table and every variable in the table is in the schema, with
 * the schema's default (and the demo's) where it has one. The product reads no environment
 * variable the schema does not declare, and the simulator's table lists exactly what
 * simulator/run-from-env.ts reads.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_VARIABLES, configDefaults, DEMO_DEFAULTS, SIMULATED_DEMO_DEFAULTS, type ConfigVariable } from '../../common/config';

const ROOT = path.resolve(__dirname, '../..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');

interface Row {
  names: string[];
  /** The whole row, and its default cell. */
  text: string;
  defaultCell: string;
}

/** The tables of the README's `## Configuration` section, by the first header cell. */
function configurationTables(): Map<string, Row[]> {
  const start = README.indexOf('\n## Configuration\n');
  expect(start).toBeGreaterThanOrEqual(0);
  const rest = README.slice(start + 1);
  const next = rest.indexOf('\n## ', 1);
  const section = next < 0 ? rest : rest.slice(0, next);
  const tables = new Map<string, Row[]>();
  let rows: Row[] | undefined;
  for (const line of section.split('\n')) {
    if (!line.startsWith('|')) {
      rows = undefined;
      continue;
    }
    const cells = line
      .slice(1, line.endsWith('|') ? -1 : undefined)
      .split(' | ')
      .map((c) => c.trim());
    if (rows === undefined) {
      rows = [];
      tables.set(cells[0] as string, rows);
      continue;
    }
    if (/^-+$/.test(cells[0] ?? '')) continue;
    const names = [...(cells[0] ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1] as string);
    rows.push({ names, text: line, defaultCell: cells[1] ?? '' });
  }
  return tables;
}

const tables = configurationTables();
const product = tables.get('variable') ?? [];
const simulator = tables.get('simulator variable') ?? [];
const rowOf = (rows: Row[], name: string) => rows.find((r) => r.names.includes(name));

describe('the README configuration table and common/config.ts', () => {
  test('the section has the product table and the simulator table, and every row names a variable', () => {
    expect(product.length).toBeGreaterThan(20);
    expect(simulator.length).toBeGreaterThan(0);
    expect([...tables.keys()]).toEqual(['variable', 'simulator variable']);
    for (const row of [...product, ...simulator])
      expect({ row: row.text, named: row.names.length > 0 }).toEqual({ row: row.text, named: true });
  });

  test('every variable of the schema is in the table', () => {
    const listed = new Set(product.flatMap((r) => r.names));
    expect(CONFIG_VARIABLES.filter((name) => !listed.has(name))).toEqual([]);
  });

  test('every variable in the table is in the schema, once', () => {
    const names = product.flatMap((r) => r.names);
    expect(names.filter((name) => !(CONFIG_VARIABLES as string[]).includes(name))).toEqual([]);
    expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
  });

  test("a variable's default in the table is the schema's", () => {
    const defaults = configDefaults();
    expect(defaults).toMatchObject({
      AWS_REGION: 'us-east-1',
      COPY_MAX_BYTES: '4294967296',
      SEEDANCE_WORKER_ROLES: 'workflows,provider,copy',
    });
    const wrong: string[] = [];
    for (const [name, value] of Object.entries(defaults)) {
      const row = rowOf(product, name);
      // Rows naming several variables share a `—`: none of those has a default.
      if (!row || row.names.length > 1 || !row.defaultCell.startsWith(`\`${value}\``))
        wrong.push(`${name}: \`${value}\` in ${row?.defaultCell}`);
    }
    expect(wrong).toEqual([]);
  });

  test("the demo's own defaults are in the table too", () => {
    for (const [name, value] of Object.entries({ ...DEMO_DEFAULTS, ...SIMULATED_DEMO_DEFAULTS })) {
      expect({ name, cell: rowOf(product, name)?.defaultCell }).toEqual({
        name,
        cell: expect.stringMatching(new RegExp(`\`demo\`[^)]*: \`${value}\``)),
      });
    }
  });
});

/** Product sources: every .ts under these folders, and the launcher. */
function productSources(): string[] {
  const files: string[] = [path.join(ROOT, 'bin', 'seedance-flow.js')];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const file = path.join(dir, name);
      if (statSync(file).isDirectory()) walk(file);
      else if (name.endsWith('.ts')) files.push(file);
    }
  };
  for (const dir of ['activities', 'client', 'common', 'storage', 'temporal', 'workers', 'workflows']) {
    try {
      walk(path.join(ROOT, dir));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return files;
}

/** Set by the launcher for the AWS SDK (silences its Node-version notice); nothing of ours reads it. */
const NOT_CONFIGURATION = new Set(['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']);

describe('no variable is read around the schema', () => {
  test('the product reads (process.)env.NAME only for names the schema declares', () => {
    const undeclared: string[] = [];
    for (const file of productSources()) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\benv(?:\.([A-Z][A-Z0-9_]*)|\[\s*['"]([A-Z][A-Z0-9_]*)['"]\s*\])/g)) {
        const name = (m[1] ?? m[2]) as string;
        if (!(CONFIG_VARIABLES as string[]).includes(name) && !NOT_CONFIGURATION.has(name))
          undeclared.push(`${path.relative(ROOT, file)}: ${name}`);
      }
    }
    expect(undeclared).toEqual([]);
  });

  test('outside common/config.ts and the launcher, no code takes a value from process.env.NAME', () => {
    const direct: string[] = [];
    for (const file of productSources()) {
      const rel = path.relative(ROOT, file);
      if (rel === path.join('bin', 'seedance-flow.js')) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(/process\.env(?:\.[A-Z][A-Z0-9_]*|\[)/g)) direct.push(`${rel}: ${m[0]}`);
    }
    expect(direct).toEqual([]);
  });
});

describe("the simulator's table and simulator/run-from-env.ts", () => {
  const source = readFileSync(path.join(ROOT, 'simulator', 'run-from-env.ts'), 'utf8');
  // Every name it reads is a quoted literal of its own on a line that reads env: env['X'],
  // integer(env, 'X', ...), or the fallback name chosen beside it.
  const envLines = source.split('\n').filter((line) => /\benv\b/.test(line));
  const read = [...new Set(envLines.flatMap((line) => [...line.matchAll(/'([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1] as string)))].sort();

  test('lists exactly the variables the simulator reads', () => {
    expect(read).toEqual(expect.arrayContaining(['SIMULATOR_PORT', 'SIMULATOR_CONFIG']));
    expect(simulator.flatMap((r) => r.names).sort()).toEqual(read);
  });

  test('none of them is a product variable', () => {
    expect(read.filter((name) => (CONFIG_VARIABLES as string[]).includes(name as ConfigVariable))).toEqual([]);
  });
});
