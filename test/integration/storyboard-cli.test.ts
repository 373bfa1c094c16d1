/**
 * The storyboard commands as a user runs them: validate, render --wait --json, status, retry.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli';
import { s3Object, startHarness, type Harness } from '../helpers/harness';

jest.setTimeout(240_000);
const EXAMPLE = path.resolve(__dirname, '../../examples/lighthouse-keeper.yaml');

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sim: { renderMs: 1000 } });
});
afterAll(async () => {
  await h?.stop();
});

const cli = (args: string[], env: Record<string, string> = {}) => runCli(h, args, env);

test('validate: the example is valid; a bad file lists every problem with its path and exits 2', async () => {
  const ok = await cli(['validate', EXAMPLE, '--json']);
  expect(ok.code).toBe(0);
  expect(JSON.parse(ok.stdout)).toMatchObject({ valid: true, storyboardId: 'lighthouse-keeper', shots: 10 });

  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-cli-'));
  const bad = path.join(dir, 'bad.yaml');
  writeFileSync(
    bad,
    'id: bad\nshots:\n  - { id: a, prompt: p, frames: 30 }\n  - { id: a, prompt: p, images: [{ path: nope.png, role: sideways }] }\n',
  );
  const res = await cli(['validate', bad, '--json']);
  expect(res.code).toBe(2);
  const paths = JSON.parse(res.stdout).problems.map((p: { path: string }) => p.path);
  expect(paths).toEqual(expect.arrayContaining(['shots[0].frames', 'shots[1].id', 'shots[1].images[0].role']));
  const human = await cli(['validate', bad]);
  expect(human.stderr).toMatch(/problems, nothing was started/);
  expect(h.sim.stats().submitAttempts).toBe(0);
});

test('render --wait --json renders the example storyboard end to end; status agrees; retry re-renders only failures', async () => {
  const res = await cli(['render', EXAMPLE, '--wait', '--json', '--window', '4']);
  expect(res.code).toBe(0);
  const report = JSON.parse(res.stdout);
  expect(report).toMatchObject({ storyboardId: 'lighthouse-keeper', status: 'completed', counts: { stored: 10, failed: 0 } });
  expect(report.shots).toHaveLength(10);
  for (const shot of report.shots) {
    expect(shot).toMatchObject({
      status: 'stored',
      key: `lighthouse-keeper/${shot.shotId}.mp4`,
      sha256: expect.any(String),
      bytes: expect.any(Number),
    });
    expect((await s3Object(h, `${h.prefix}/${shot.key}`)).sha256).toBe(shot.sha256);
  }
  expect(report.manifestUrl).toMatch(/lighthouse-keeper\/manifest\.json$/);
  expect(h.sim.stats().submissions).toBe(10);

  const status = await cli(['status', 'lighthouse-keeper', '--json']);
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ status: 'completed', counts: { stored: 10 } });

  // Nothing failed, so a retry renders nothing and pays nothing.
  const retry = await cli(['retry', 'lighthouse-keeper', '--wait', '--json']);
  expect(retry.code).toBe(0);
  expect(JSON.parse(retry.stdout).shots.every((s: { reused?: boolean }) => s.reused)).toBe(true);
  expect(h.sim.stats().submissions).toBe(10);
});

test('render exits non-zero when a shot failed, and plain output shows the reason', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-cli-'));
  const file = path.join(dir, 'mixed.yaml');
  writeFileSync(
    file,
    'id: mixed-cli\nshots:\n  - { id: ok, prompt: fine }\n  - { id: bad, prompt: "doomed [sim:fail=ModelOverloaded]" }\n',
  );
  const res = await cli(['render', file, '--wait']);
  expect(res.code).toBe(1);
  expect(res.stdout).toMatch(/stored 1 +failed 1/);
  expect(res.stdout).toMatch(/bad: failed TaskFailed: .*ModelOverloaded/);
  // Not a TTY: plain progress lines, no carriage returns.
  expect(res.stderr).toMatch(/\[#*-*\] \d+\/2 \| stored/);
  expect(res.stderr).not.toContain('\r');
});
