/**
 * Budgets end to end: the real Temporal server, MinIO, the simulator (which bills by the same
 * formula the estimate uses) and worker processes. A 10-shot storyboard with a budget for 7
 * stores 7, pauses with reason `budget`, and completes once the budget is raised; a worker
 * SIGKILLed during a budget run loses no reservation and counts none twice.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setStoryboardBudget, type StoryboardStatus } from '../../client/storyboard';
import { estimateShot } from '../../common/estimate';
import type { ManifestEntry, StoryboardProgress } from '../../common/storyboard';
import { storyboardProgressQuery, type renderStoryboard } from '../../workflows';
import { runCli } from '../helpers/cli';
import { harnessWorkerEnv, s3Text, startHarness, waitFor, type Harness } from '../helpers/harness';
import { stageBoard, startBoard } from '../helpers/storyboard';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process';

jest.setTimeout(300_000);

let h: Harness;
const workers: WorkerProcess[] = [];
let worker: WorkerProcess;

async function newWorker(): Promise<WorkerProcess> {
  const w = await spawnWorker(harnessWorkerEnv(h, { SEEDANCE_ALLOW_PRIVATE_NETWORK: 'true' }));
  workers.push(w);
  await w.ready();
  return w;
}

beforeAll(async () => {
  h = await startHarness({ inProcessWorker: false, sim: { renderMs: 1500, queueMs: 100 } });
  worker = await newWorker();
}, 120_000);
afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await h?.stop();
});

/** Ten shots of different lengths (so a total is not a multiple of one shot), each rendering for `renderMs`. */
function board(id: string, renderMs: number) {
  return {
    id,
    defaults: { resolution: '480p' as const, ratio: '16:9' },
    shots: Array.from({ length: 10 }, (_, i) => ({
      id: `s${String(i).padStart(2, '0')}`,
      prompt: `shot ${i} of ${id} [sim:render=${renderMs}]`,
      duration: 2 + (i % 4),
    })),
  };
}
/** Each shot's tokens with the storyboard's defaults applied, as the storyboard reserves them. */
const tokensOf = (doc: ReturnType<typeof board>) => doc.shots.map((s) => estimateShot({ ...doc.defaults, ...s }).tokens.max);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

const progress = (id: string) => h.client.workflow.getHandle(id).query(storyboardProgressQuery);
const pausedForBudget = (p: StoryboardProgress) => p.paused && p.pauseReason === 'budget';
/** Tasks the simulator created for this storyboard's prompts. */
const submissionsOf = (id: string) =>
  Object.entries(h.sim.stats().submissionsByPrompt)
    .filter(([prompt]) => prompt.includes(` of ${id} `))
    .map(([, n]) => n);

/** The manifest's entries, with the spend they add up to. */
async function manifestOf(id: string): Promise<{ shots: ManifestEntry[]; budget?: StoryboardStatus['budget'] }> {
  return JSON.parse(await s3Text(h, `${h.prefix}/${id}/manifest.json`));
}

test('a budget for 7 of 10 shots: 7 stored, paused with reason budget; raised from the CLI, it completes', async () => {
  const id = `budget-${randomUUID().slice(0, 8)}`;
  const doc = board(id, 1500);
  const tokens = tokensOf(doc);
  const forSeven = sum(tokens.slice(0, 7));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-budget-'));
  const file = path.join(dir, 'board.json');
  writeFileSync(file, JSON.stringify(doc));

  // The simulator is on loopback: no confirmation is asked, the estimate is printed first.
  const started = await runCli(h, ['render', file, '--window', '3', '--budget', String(forSeven)]);
  expect(started.code).toBe(0);
  expect(started.stderr).toContain(`estimate for ${id}: 10 shots, ${sum(tokens).toLocaleString('en-US')} tokens`);

  const pausing = await waitFor('the budget pause', () => progress(id), pausedForBudget, 120_000);
  expect(pausing.counts.stored).toBeLessThanOrEqual(7);
  // The shots in flight finish; the estimate is exact here, so exactly the first 7 fit and nothing else is submitted.
  const paused = await waitFor(
    'the shots in flight',
    () => progress(id),
    (p) => p.counts.stored === 7,
    120_000,
  );
  expect(pausedForBudget(paused)).toBe(true);
  expect(submissionsOf(id)).toEqual(Array(7).fill(1));
  expect(paused.budget).toEqual({ unit: 'tokens', limit: forSeven, spent: forSeven, reserved: 0, remaining: 0 });

  const status = await runCli(h, ['status', id, '--json']);
  expect(JSON.parse(status.stdout)).toMatchObject({ paused: true, pauseReason: 'budget', budget: { spent: forSeven, remaining: 0 } });

  const raised = await runCli(h, ['budget', id, String(sum(tokens))]);
  expect(raised.code).toBe(0);
  const result = await h.client.workflow.getHandle<typeof renderStoryboard>(id).result();
  expect(result.counts).toMatchObject({ stored: 10, failed: 0, not_started: 0 });
  expect(submissionsOf(id)).toEqual(Array(10).fill(1));

  // The provider's usage (the simulator's) is what was spent, shot by shot as estimated.
  const manifest = await manifestOf(id);
  const usage = manifest.shots.map((s) => s.usage?.totalTokens);
  expect(usage).toEqual(tokens);
  for (const [i, s] of manifest.shots.entries()) expect(s.estimatedTokens).toEqual({ min: tokens[i], max: tokens[i] });
  expect(manifest.budget).toEqual({ unit: 'tokens', limit: sum(tokens), spent: sum(tokens), reserved: 0, remaining: 0 });
  const report = await s3Text(h, `${h.prefix}/${id}/report.html`);
  expect(report).toContain('data-total="remaining"');
  expect(report).not.toContain('data-off-estimate');
});

test('a worker SIGKILLed during a budget run loses no reservation and counts none twice', async () => {
  const id = `budget-kill-${randomUUID().slice(0, 8)}`;
  const doc = board(id, 4000);
  const tokens = tokensOf(doc);
  const forSeven = sum(tokens.slice(0, 7));
  const handle = await startBoard(h, await stageBoard(h, doc), { window: 3, budget: { tokens: forSeven } });

  // Mid-way: shots stored, others in flight with their reservations held.
  const before = await waitFor(
    'two shots stored and more in flight',
    () => progress(id),
    (p) => p.counts.stored >= 2,
    120_000,
  );
  expect(before.budget?.reserved).toBeGreaterThan(0);
  // Not while a submit is on the wire (an ambiguous submit is another test's subject).
  await waitFor(
    'a quiet moment for submits',
    () => h.sim.stats(),
    (s) => s.submitsInFlight === 0 && (s.lastSubmitAt === null || Date.now() - s.lastSubmitAt > 300),
    30_000,
    20,
  );
  worker.child.kill('SIGKILL');
  expect((await worker.exited).signal).toBe('SIGKILL');
  worker = await newWorker();

  await waitFor('the budget pause', () => progress(id), pausedForBudget, 180_000);
  const paused = await waitFor(
    'the shots in flight',
    () => progress(id),
    (p) => p.counts.stored === 7,
    120_000,
  );
  expect(pausedForBudget(paused)).toBe(true);
  expect(paused.budget).toEqual({ unit: 'tokens', limit: forSeven, spent: forSeven, reserved: 0, remaining: 0 });
  expect(submissionsOf(id)).toEqual(Array(7).fill(1));

  const now = await setStoryboardBudget(h.client, id, sum(tokens));
  expect(now).toMatchObject({ limit: sum(tokens), spent: forSeven });
  const result = await handle.result();
  expect(result.counts).toMatchObject({ stored: 10, failed: 0 });
  expect(submissionsOf(id)).toEqual(Array(10).fill(1));
  // Spent is the sum of the stored shots' usage: none lost with the worker, none counted twice on replay.
  const manifest = await manifestOf(id);
  const spent = sum(manifest.shots.map((s) => s.usage?.totalTokens ?? NaN));
  expect(spent).toBe(sum(tokens));
  expect(result.budget).toEqual({ unit: 'tokens', limit: sum(tokens), spent, reserved: 0, remaining: 0 });
  expect(result.tokensUsed).toBe(spent);
});
