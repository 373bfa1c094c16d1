/**
 * Provider callbacks end to end (issue 13): the simulator calls back each task's
 * `callback_url`, the workers' `callbacks` role verifies and signals, renderVideo wakes and
 * confirms with one GET; the slow safety-net poll covers callbacks that never come; forged
 * callbacks change nothing; a submit whose connection drops after the task was created is
 * settled (by its callback, or by the provider's task list without callbacks), never paid twice.
 *
 * Real Temporal, real MinIO, the simulator; one in-process worker per harness, each harness
 * with its own simulator and task queue.
 */
import { randomUUID } from 'node:crypto';
import { startRenderVideo, waitForVideo } from '../../client/video';
import type { ManifestEntry, StoryboardResult } from '../../common/storyboard';
import { renderVideoProgressQuery } from '../../workflows';
import {
  FAST_SCHEDULE,
  receiverMetrics,
  s3Object,
  s3Text,
  startHarness,
  waitFor,
  type Harness,
  type HarnessOptions,
} from '../helpers/harness';
import { boardDoc, stageBoard, startBoard } from '../helpers/storyboard';

jest.setTimeout(300_000);

const uniqueId = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

/** A harness per describe block, started before its tests and stopped after them. */
function useHarness(opts: HarnessOptions): () => Harness {
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await startHarness(opts);
  });
  afterAll(async () => {
    await h?.stop();
  });
  beforeEach(() => h?.sim.reset());
  return () => {
    if (!h) throw new Error('harness not started');
    return h;
  };
}

/** Every stored entry's object is in the bucket with the manifest's sha256 and size, and the stored manifest is the result's. */
async function expectManifestIsBucket(h: Harness, result: StoryboardResult): Promise<void> {
  const entries = result.shots as ManifestEntry[];
  for (const e of entries.filter((x) => x.status === 'stored')) {
    const stored = await s3Object(h, `${h.prefix}/${e.key}`);
    expect({ shot: e.shotId, sha256: stored.sha256, bytes: stored.bytes }).toEqual({ shot: e.shotId, sha256: e.sha256, bytes: e.bytes });
  }
  const manifest = JSON.parse(await s3Text(h, `${h.prefix}/${result.manifestKey}`)) as { shots: ManifestEntry[] };
  expect(manifest.shots).toEqual(entries);
}

/** Nothing paid twice, and every task the provider finished is a stored video of the result. */
function expectEveryPaidTaskStored(h: Harness, result: StoryboardResult): void {
  const stats = h.sim.stats();
  expect(Object.entries(stats.submissionsByPrompt).filter(([, n]) => n > 1)).toEqual([]);
  const storedTaskIds = new Set((result.shots as ManifestEntry[]).filter((e) => e.status === 'stored').map((e) => e.taskId));
  expect(stats.tasks.filter((t) => t.status === 'succeeded' && !storedTaskIds.has(t.id)).map((t) => t.prompt)).toEqual([]);
}

describe('with callbacks (safety poll after 20 s)', () => {
  // The safety net looks first after 20 s: every shot below ends well before, so each GET
  // the simulator counts was woken by a callback.
  const harness = useHarness({ callbacks: { safetyInitialMs: 20_000 }, sim: { renderMs: 1500, queueMs: 100 } });

  test('200 shots: every video stored, the manifest is the bucket, about one provider GET per shot', async () => {
    const h = harness();
    const shots = 200;
    const id = uniqueId('cb-200');
    const staged = await stageBoard(h, boardDoc(id, shots));
    const t0 = Date.now();
    const result = await (await startBoard(h, staged, { window: 40 })).result();
    const wallMs = Date.now() - t0;

    expect(result.counts).toMatchObject({ stored: shots, failed: 0, not_started: 0 });
    await expectManifestIsBucket(h, result);
    expectEveryPaidTaskStored(h, result);
    const stats = h.sim.stats();
    expect(stats.submissions).toBe(shots);
    // Polling alone (FAST_SCHEDULE: 0.3 s, ×1.5, cap 1 s) needs about 4 GETs for a 1.5 s render.
    expect(stats.getRequests / shots).toBeLessThanOrEqual(1.2);
    expect(stats.getRequests).toBeGreaterThanOrEqual(shots); // one confirming GET per shot, at least
    // queued, running, succeeded for every task; every one answered 2xx, none lost.
    expect(stats.callbacks).toMatchObject({ scheduled: 3 * shots, delivered: 3 * shots, failed: 0, lost: 0 });
    const metrics = await receiverMetrics(h);
    expect(metrics['received{status="succeeded"}']).toBe(shots);
    // Every callback received was passed on to its workflow (a signal still under way is counted a moment later).
    await waitFor(
      'every callback signalled',
      () => receiverMetrics(h),
      (m) => m['signalled'] === 3 * shots,
      20_000,
    );
    expect(metrics['rejected{reason="token"}'] ?? 0).toBe(0);
    process.stderr.write(`callbacks: ${shots} shots in ${wallMs} ms, ${stats.getRequests} provider GETs\n`);
  });

  test('forged callbacks claiming success change nothing: refused 404, no shot woken or stored by them', async () => {
    const h = harness();
    h.sim.configure({ callbacks: { forgeRate: 1 } });
    const before = await receiverMetrics(h);
    const id = uniqueId('cb-forged');
    // Two tasks fail at the provider: a forged "succeeded" for them must not store anything.
    const doc = boardDoc(id, 10, (i) => `forged-callbacks shot ${i} of ${id}${i % 5 === 4 ? ' [sim:fail]' : ''}`);
    const staged = await stageBoard(h, doc);
    const result = await (await startBoard(h, staged, { window: 10 })).result();

    const entries = result.shots as ManifestEntry[];
    expect(entries.filter((e) => e.status === 'failed').map((e) => [e.shotId, e.failureType])).toEqual([
      ['s0004', 'TaskFailed'],
      ['s0009', 'TaskFailed'],
    ]);
    expect(result.counts).toMatchObject({ stored: 8, failed: 2 });
    await expectManifestIsBucket(h, result);
    expectEveryPaidTaskStored(h, result);

    const stats = h.sim.stats();
    // A forged copy went with every status change, and every one was answered 404.
    expect(stats.callbacks.forged).toBe(stats.callbacks.scheduled);
    expect(stats.callbacks.forged).toBeGreaterThanOrEqual(20);
    expect(stats.callbacks.forgedAnswers).toEqual({ '404': stats.callbacks.forged });
    const after = await receiverMetrics(h);
    const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    expect(delta('rejected{reason="token"}')).toBe(stats.callbacks.forged);
    // Only the genuine ones were received: 8 successes, 2 failures, no forged "succeeded".
    expect(delta('received{status="succeeded"}')).toBe(8);
    expect(delta('received{status="failed"}')).toBe(2);
    // No forged claim woke a shot early: still about one GET per shot.
    expect(stats.getRequests / doc.shots.length).toBeLessThanOrEqual(1.2);
  });

  test('a submit accepted and then dropped is adopted from its callback: stored, exactly one submission', async () => {
    const h = harness();
    h.sim.addFaults([{ on: 'submit', acceptThenDrop: true }]);
    const workflowId = uniqueId('cb-dropped');
    const handle = await startRenderVideo(
      h.client,
      { shot: { prompt: `accepted then dropped ${workflowId}`, duration: 5 }, schedule: FAST_SCHEDULE },
      { taskQueue: h.config.SEEDANCE_TASK_QUEUE, workflowId },
    );
    const outcome = await waitForVideo(handle);
    expect(outcome).toMatchObject({ status: 'stored' });
    const stats = h.sim.stats();
    expect(stats).toMatchObject({ submissions: 1, submitAttempts: 1, listRequests: 0 });
    expect(outcome.taskId).toBe(stats.tasks[0]?.id);
    expect(await handle.query(renderVideoProgressQuery)).toMatchObject({ adoptedBy: 'callback', callbacks: true, phase: 'stored' });
    expect((await s3Object(h, `${h.prefix}/${outcome.key}`)).sha256).toBe(outcome.sha256);
  });
});

describe('with every callback lost (safety poll every second)', () => {
  const harness = useHarness({
    callbacks: { safetyInitialMs: 1000, safetyMaxIntervalMs: 1000 },
    sim: { renderMs: 1500, queueMs: 100, callbacks: { lossRate: 1 } },
  });

  test('a storyboard still completes, by the safety poll alone', async () => {
    const h = harness();
    const shots = 20;
    const id = uniqueId('cb-lost');
    const staged = await stageBoard(h, boardDoc(id, shots));
    const before = await receiverMetrics(h);
    const result = await (await startBoard(h, staged, { window: 10 })).result();

    expect(result.counts).toMatchObject({ stored: shots, failed: 0 });
    await expectManifestIsBucket(h, result);
    expectEveryPaidTaskStored(h, result);
    const stats = h.sim.stats();
    expect(stats.callbacks).toMatchObject({ scheduled: 3 * shots, lost: 3 * shots, attempts: 0, delivered: 0 });
    const after = await receiverMetrics(h);
    expect(after['signalled'] ?? 0).toBe(before['signalled'] ?? 0);
    // Every shot was seen by its own polls (1.5 s renders, a look every second).
    expect(stats.getRequests).toBeGreaterThanOrEqual(shots);
  });
});

describe('without callbacks', () => {
  const harness = useHarness({ sim: { renderMs: 1500, queueMs: 100 } });

  test('a submit accepted and then dropped is found in the task list: stored, exactly one submission', async () => {
    const h = harness();
    h.sim.addFaults([{ on: 'submit', acceptThenDrop: true }]);
    const workflowId = uniqueId('list-dropped');
    const handle = await startRenderVideo(
      h.client,
      { shot: { prompt: `accepted then dropped ${workflowId}`, duration: 5 }, schedule: FAST_SCHEDULE },
      { taskQueue: h.config.SEEDANCE_TASK_QUEUE, workflowId },
    );
    const outcome = await waitForVideo(handle);
    expect(outcome).toMatchObject({ status: 'stored' });
    const stats = h.sim.stats();
    expect(stats).toMatchObject({ submissions: 1, submitAttempts: 1 });
    expect(stats.listRequests).toBeGreaterThanOrEqual(1);
    expect(outcome.taskId).toBe(stats.tasks[0]?.id);
    expect(await handle.query(renderVideoProgressQuery)).toMatchObject({ adoptedBy: 'task-list', phase: 'stored' });
    expect((await s3Object(h, `${h.prefix}/${outcome.key}`)).sha256).toBe(outcome.sha256);
  });
});
