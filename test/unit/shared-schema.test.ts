/**
 * The zod schemas the workflows use are built once per workflow thread, not once per
 * execution (common/shared-schema.ts, workflows/preload.ts): the keys are unique, and the
 * product's bundle really preloads (webpack drops a preload it thinks has no side effects).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { sharedSchema } from '../../common/shared-schema';
import { workflowBundlePath } from '../helpers/workflow-bundle';

const COMMON = path.resolve(__dirname, '../../common');

test('every shared schema has its own key, named after its module', () => {
  const keys: string[] = [];
  for (const file of readdirSync(COMMON).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(path.join(COMMON, file), 'utf8');
    for (const m of text.matchAll(/sharedSchema\(\s*'([^']+)'/g)) {
      keys.push(m[1] as string);
      expect(m[1]).toMatch(new RegExp(`^${file.replace(/\.ts$/, '').replace(/[-.]/g, '\\$&')}\\.[A-Za-z]+$`));
    }
  }
  expect(keys.length).toBeGreaterThan(20);
  expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([]);
});

test('a key is built once; later asks get the same schema', () => {
  let builds = 0;
  const build = () => ({ built: ++builds });
  const first = sharedSchema('test.once', build);
  expect(sharedSchema('test.once', build)).toBe(first);
  expect(builds).toBe(1);
});

test("the worker's bundle evaluates the preload (zod and the cache) before any workflow", async () => {
  const code = readFileSync(await workflowBundlePath('workflows'), 'utf8');
  const body = /exports\.preloadModules = function preloadModules\(\) \{([^}]*)\}/.exec(code)?.[1] ?? '';
  expect(body).toMatch(/__webpack_require__\(.*workflows\/preload\.ts/);
  // The preload module itself pulls zod in (a bare `import 'zod'` would have been dropped).
  const preload = code.slice(code.indexOf('"./workflows/preload.ts"'));
  expect(preload.slice(0, 4000)).toMatch(/__webpack_require__\([^)]*"\.\/node_modules\/zod\//);
});
