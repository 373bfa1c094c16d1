/**
 * renderStoryboard end to end on the real Temporal server and MinIO, against a simulator
 * that misbehaves the way real deployments do.
 */
import { randomUUID } from 'node:crypto';
import { storyboardProgressQuery, resumeSignal, setWindowUpdate } from '../../workflows';
import type { ManifestEntry } from '../../common/storyboard';
import { s3Object, s3Text, servedSha256, startHarness, waitFor, type Harness } from '../helpers/harness';
import { boardDoc, stageBoard, startBoard } from '../helpers/storyboard';

jest.setTimeout(600_000);

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sim: { renderMs: 1200, queueMs: 100 } });
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => h.sim.reset());

const uniqueId = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

async function expectManifestMatchesStorage(entries: ManifestEntry[]): Promise<void> {
  for (const e of entries.filter((x) => x.status === 'stored')) {
    const stored = await s3Object(h, `${h.prefix}/${e.key}`);
    expect({ shot: e.shotId, sha256: stored.sha256, bytes: stored.bytes }).toEqual({ shot: e.shotId, sha256: e.sha256, bytes: e.bytes });
  }
}

test('200 shots with 10% 429s, 5% 500s, 3% failed and 2% expired: every shot accounted for, nothing paid twice, window respected', async () => {
  h.sim.configure({ rates: { rateLimit: 0.1, serverError: 0.05, failed: 0.03, expired: 0.02 }, randomSeed: 42, retryAfterSeconds: 1 });
  const id = uniqueId('big');
  const staged = await stageBoard(h, boardDoc(id, 200));
  const window = 16;
  const handle = await startBoard(h, staged, { window });
  const result = await handle.result();

  const entries = result.shots as ManifestEntry[];
  expect(entries.map((e) => e.shotId)).toEqual(boardDoc(id, 200).shots.map((s) => s.id));
  for (const e of entries) {
    expect(['stored', 'failed']).toContain(e.status);
    if (e.status === 'failed') {
      expect(['TaskFailed', 'TaskExpired']).toContain(e.failureType);
      expect(e.failureMessage).toBeTruthy();
      expect(e.taskId).toBeTruthy();
    }
  }
  const failed = entries.filter((e) => e.status === 'failed').length;
  expect(result.counts).toMatchObject({ stored: 200 - failed, failed, not_started: 0 });
  expect(failed).toBeGreaterThan(0); // the simulator did inject failures
  expect(failed).toBeLessThan(30);
  await expectManifestMatchesStorage(entries);
  // The manifest in storage says the same as the result.
  const manifest = JSON.parse(await s3Text(h, `${h.prefix}/${result.manifestKey}`));
  expect(manifest.shots).toEqual(entries);

  const stats = h.sim.stats();
  expect(Object.values(stats.submissionsByPrompt).every((n) => n === 1)).toBe(true);
  expect(stats.submissions).toBe(200);
  expect(stats.submitAttempts).toBeGreaterThan(200); // 429s and 500s were retried
  expect(stats.maxConcurrent).toBeLessThanOrEqual(window);
  expect(stats.maxConcurrent).toBeGreaterThanOrEqual(window / 2);
  expect(result.tokensUsed).toBeGreaterThan(0);
});

test('re-running a storyboard after failures renders only the failed shots', async () => {
  const id = uniqueId('rerun');
  const staged = await stageBoard(h, boardDoc(id, 6));
  h.sim.addFaults([{ on: 'submit', status: 400, times: 2 }]);
  const first = await (await startBoard(h, staged, { window: 1 })).result();
  expect(first.counts).toMatchObject({ stored: 4, failed: 2 });
  const failedIds = (first.shots ?? []).filter((s) => s.status === 'failed').map((s) => s.shotId);
  expect(failedIds).toHaveLength(2);
  expect((first.shots ?? []).find((s) => s.status === 'failed')?.failureType).toBe('InvalidRequest');

  const before = h.sim.stats().submitAttempts;
  const second = await (await startBoard(h, staged, { window: 2 })).result();
  expect(second.counts).toMatchObject({ stored: 6, failed: 0 });
  expect(h.sim.stats().submitAttempts - before).toBe(2);
  const reused = (second.shots ?? []).filter((s) => s.reused).map((s) => s.shotId);
  expect(reused.sort()).toEqual(
    (first.shots ?? [])
      .filter((s) => s.status === 'stored')
      .map((s) => s.shotId)
      .sort(),
  );
  await expectManifestMatchesStorage(second.shots ?? []);
});

test('insufficient balance pauses the storyboard; resume finishes it', async () => {
  const id = uniqueId('broke');
  const staged = await stageBoard(h, boardDoc(id, 6));
  h.sim.addFaults([
    {
      on: 'submit',
      status: 403,
      body: JSON.stringify({ error: { code: 'AccountOverdueError', message: 'insufficient balance' } }),
      times: 1,
    },
  ]);
  const handle = await startBoard(h, staged, { window: 2 });

  const paused = await waitFor(
    'the storyboard to pause and its in-flight shots to finish',
    () => handle.query(storyboardProgressQuery),
    (p) => p.paused && p.counts.submitted + p.counts.rendering + p.counts.copying === 0,
    60_000,
  );
  expect(paused.pauseReason).toMatch(/insufficient balance/);
  expect(paused.counts.pending).toBeGreaterThan(0);
  const attempts = h.sim.stats().submitAttempts;
  // While paused nothing new is submitted: a few poll intervals pass without a submit.
  await new Promise((r) => setTimeout(r, 2000));
  expect(h.sim.stats().submitAttempts).toBe(attempts);
  expect((await handle.query(storyboardProgressQuery)).paused).toBe(true);

  await handle.signal(resumeSignal);
  const result = await handle.result();
  expect(result.counts).toMatchObject({ stored: 6, failed: 0 });
  expect(h.sim.stats().submissions).toBe(6);
});

test('the window can be changed while running and is never exceeded', async () => {
  const id = uniqueId('window');
  const staged = await stageBoard(h, boardDoc(id, 24));
  const handle = await startBoard(h, staged, { window: 2 });
  await waitFor(
    'some shots to finish',
    () => handle.query(storyboardProgressQuery),
    (p) => p.counts.stored >= 2,
    60_000,
  );
  expect(h.sim.stats().maxConcurrent).toBeLessThanOrEqual(2);
  const rejected = await handle.executeUpdate(setWindowUpdate, { args: [0] }).then(
    () => undefined,
    (err: Error) => err,
  );
  expect(String((rejected?.cause as Error | undefined)?.message)).toMatch(/window must be an integer/);
  expect(await handle.executeUpdate(setWindowUpdate, { args: [6] })).toBe(6);
  const result = await handle.result();
  expect(result.counts.stored).toBe(24);
  expect(h.sim.stats().maxConcurrent).toBeGreaterThan(2);
  expect(h.sim.stats().maxConcurrent).toBeLessThanOrEqual(6);
});

test('a failure tolerance stops launching new shots; the rest are listed as not started', async () => {
  const id = uniqueId('tolerance');
  const staged = await stageBoard(
    h,
    boardDoc(id, 12, (i) => (i < 3 ? `doomed ${i} [sim:fail]` : `fine ${i}`)),
  );
  const result = await (await startBoard(h, staged, { window: 1, tolerance: { maxFailures: 1 } })).result();
  expect(result.counts).toMatchObject({ failed: 2, stored: 0, not_started: 10 });
  expect(result.shots?.slice(2).every((s) => s.status === 'not_started')).toBe(true);
  expect(h.sim.stats().submissions).toBe(2);
});

test('progress answers at any moment with counts by state, per-shot state and tokens', async () => {
  const id = uniqueId('progress');
  const staged = await stageBoard(
    h,
    boardDoc(id, 8, (i) => `slowish ${i} [sim:render=2500]`),
  );
  const handle = await startBoard(h, staged, { window: 4 });
  const mid = await waitFor(
    'shots rendering',
    () => handle.query(storyboardProgressQuery),
    (p) => p.counts.rendering > 0,
    60_000,
  );
  expect(
    mid.counts.pending + mid.counts.submitted + mid.counts.rendering + mid.counts.copying + mid.counts.stored + mid.counts.failed,
  ).toBe(8);
  expect(Object.values(mid.shots)).toContain('rendering');
  const result = await handle.result();
  expect(result.counts.stored).toBe(8);
  expect(result.tokensUsed).toBeGreaterThan(0);
  const url = `${h.sim.url}/videos/${result.shots?.[0]?.taskId}.mp4`;
  expect(result.shots?.[0]?.sha256).toBe((await servedSha256(url)).sha256);
});

test('cancelling a storyboard cancels its running shots and their queued provider tasks', async () => {
  h.sim.configure({ queueMs: 120_000, renderMs: 180_000 });
  const id = uniqueId('cancel');
  const handle = await startBoard(h, await stageBoard(h, boardDoc(id, 6)), { window: 3 });
  await waitFor(
    'three shots submitted',
    () => handle.query(storyboardProgressQuery),
    (p) => p.counts.submitted + p.counts.rendering === 3,
    60_000,
  );
  await handle.cancel();
  await expect(handle.result()).rejects.toMatchObject({ cause: { name: 'CancelledFailure' } });
  const shots = boardDoc(id, 6).shots.slice(0, 3);
  for (const s of shots) {
    const child = h.client.workflow.getHandle(`${id}/${s.id}`);
    await waitFor(
      `${s.id} cancelled`,
      async () => (await child.describe()).status.name,
      (st) => st === 'CANCELLED',
      30_000,
    );
  }
  await waitFor(
    'provider tasks cancelled',
    () => h.sim.stats().tasks.filter((t) => t.status === 'cancelled').length,
    (n) => n === 3,
    30_000,
  );
  expect(h.sim.stats().submissions).toBe(3);
});
