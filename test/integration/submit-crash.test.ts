/**
 * A worker that dies mid-submit or mid-storyboard-activity: told apart by where it died, and
 * noticed in seconds. Real worker processes (SIGKILL), real Temporal, real MinIO behind a
 * proxy that lets the test kill the worker at the exact request it chooses.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createStorage } from '../../storage/from-config';
import { startRenderVideo, waitForVideo } from '../../client/video';
import { stageImage } from '../../client/stage';
import type { ManifestEntry } from '../../common/storyboard';
import { renderVideoProgressQuery } from '../../workflows';
import { FAST_SCHEDULE, harnessWorkerEnv, infraEnv, startHarness, waitFor, type Harness } from '../helpers/harness';
import { activityRuns } from '../helpers/history';
import { startS3Proxy, type S3Proxy } from '../helpers/s3-proxy';
import { boardDoc, stageBoard, startBoard } from '../helpers/storyboard';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process';

jest.setTimeout(240_000);

const IMAGE = path.resolve(__dirname, '../../examples/images/dawn-start.png');
/** Generous bound for "seconds, not minutes": heartbeat timeouts are 10 s, the old wait was 2 min. */
const NOTICED_WITHIN_MS = 40_000;
const PREDICTIONS_MODEL = 'doubao-seedance-2-0-fast-260128';

let h: Harness;
let proxy: S3Proxy;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  h = await startHarness({ inProcessWorker: false });
  proxy = await startS3Proxy(infraEnv().s3Endpoint);
});
afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await proxy?.close();
  await h?.stop();
});
// Each test has its own workers: a survivor of the previous test would take its tasks.
afterEach(async () => {
  for (const w of workers.splice(0)) {
    if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await w.exited;
  }
  proxy.release();
  h.sim.reset();
});

/** A worker process; `viaProxy` routes its S3 traffic through the test's proxy. */
async function worker(viaProxy: boolean): Promise<WorkerProcess> {
  const w = await spawnWorker(harnessWorkerEnv(h, viaProxy ? { AWS_ENDPOINT_URL_S3: proxy.url } : {}));
  workers.push(w);
  await w.ready();
  return w;
}

/** SIGKILLs `w` the moment the proxy sees a request matching `match`, which is held forever. */
function killOn(w: WorkerProcess, match: (method: string, p: string) => boolean): Promise<number> {
  return new Promise((resolve) => {
    proxy.hold((r) => match(r.method, r.path));
    proxy.onRequest((r) => {
      if (!match(r.method, r.path) || w.child.exitCode !== null || w.child.signalCode !== null) return;
      w.child.kill('SIGKILL');
      resolve(Date.now());
    });
  });
}

test('killed while preparing (reading its staged image), before any request left: retried, stored, one submission', async () => {
  const storage = createStorage(h.config).storage;
  const image = await stageImage(storage, IMAGE);
  const first = await worker(true);
  const killed = killOn(first, (m, p) => m === 'GET' && p.includes('/inputs/'));
  const handle = await startRenderVideo(
    h.client,
    { shot: { prompt: `dies while preparing ${randomUUID()}`, images: [{ url: image, role: 'first_frame' }] }, schedule: FAST_SCHEDULE },
    { taskQueue: h.config.SEEDANCE_TASK_QUEUE, workflowId: `prep-kill-${randomUUID()}` },
  );
  const killedAt = await killed;
  expect((await first.exited).signal).toBe('SIGKILL');
  expect(h.sim.stats().submitAttempts).toBe(0);

  await worker(false);
  const outcome = await waitForVideo(handle);
  expect(outcome).toMatchObject({ status: 'stored' });
  expect(h.sim.stats()).toMatchObject({ submissions: 1, submitAttempts: 1 });

  const creates = (await activityRuns(handle)).filter((r) => r.activityType === 'createTask');
  expect(creates.map((r) => r.outcome?.kind)).toEqual(['timedOut', 'completed']);
  // The dead attempt was given up on its heartbeat timeout, not after the 2-minute start-to-close.
  expect((creates[0]?.outcome?.at ?? Infinity) - killedAt).toBeLessThan(NOTICED_WITHIN_MS);
});

/**
 * SIGKILLs the only worker while the provider holds a submit it has already taken (the task
 * exists and is billed; no answer will come), then starts another. Returns the handle, the
 * kill's time and the createTask runs, once the render has ended.
 */
async function killedMidPost(prompt: string, model?: string) {
  const first = await worker(false);
  h.sim.addFaults([{ on: 'submit', acceptThenHang: true }]);
  const handle = await startRenderVideo(
    h.client,
    { shot: { prompt, ...(model ? { model } : {}) }, schedule: FAST_SCHEDULE },
    { taskQueue: h.config.SEEDANCE_TASK_QUEUE, workflowId: `post-kill-${randomUUID()}` },
  );
  await waitFor(
    'the POST to be held by the provider',
    () => h.sim.stats(),
    (s) => s.submitsInFlight === 1 && s.submissions === 1,
    60_000,
  );
  first.child.kill('SIGKILL');
  const killedAt = Date.now();
  await first.exited;

  await worker(false);
  const outcome = await waitForVideo(handle);
  const creates = (await activityRuns(handle)).filter((r) => r.activityType === 'createTask');
  return { handle, outcome, killedAt, creates };
}

test('killed while its POST is in flight (tasks family): its task found in the task list within seconds, stored, never resubmitted', async () => {
  const { handle, outcome, killedAt, creates } = await killedMidPost(`dies mid-request ${randomUUID()}`);
  expect(outcome).toMatchObject({ status: 'stored' });
  const stats = h.sim.stats();
  expect(stats).toMatchObject({ submissions: 1, submitAttempts: 1 });
  expect(stats.listRequests).toBeGreaterThanOrEqual(1);
  expect(outcome.taskId).toBe(stats.tasks[0]?.id);
  expect(await handle.query(renderVideoProgressQuery)).toMatchObject({ adoptedBy: 'task-list' });
  expect(creates).toHaveLength(1);
  expect(creates[0]?.outcome?.kind).toBe('timedOut');
  expect((creates[0]?.outcome?.at ?? Infinity) - killedAt).toBeLessThan(NOTICED_WITHIN_MS);
});

test('killed while its POST is in flight (predictions family, no task list): SubmitOutcomeUnknown within seconds naming the window, never resubmitted', async () => {
  const { outcome, killedAt, creates } = await killedMidPost(`dies mid-request ${randomUUID()}`, PREDICTIONS_MODEL);
  expect(outcome).toMatchObject({ status: 'failed', failureType: 'SubmitOutcomeUnknown' });
  expect(outcome.message).toMatch(/in flight \(sent at \d{4}-/);
  expect(outcome.message).toMatch(/no task list/);
  expect(outcome.message).toMatch(new RegExp(`look for a task of model ${PREDICTIONS_MODEL} created between \\d{4}-.+ and \\d{4}-`));
  expect(h.sim.stats()).toMatchObject({ submissions: 1, submitAttempts: 1, listRequests: 0 });
  expect(creates).toHaveLength(1);
  expect(creates[0]?.outcome?.kind).toBe('timedOut');
  expect((creates[0]?.outcome?.at ?? Infinity) - killedAt).toBeLessThan(NOTICED_WITHIN_MS);
});

test.each([
  ['loadShotPage', (m: string, p: string) => m === 'GET' && /\/page-\d+\.json/.test(p)],
  ['recordOutcomes', (m: string, p: string) => m === 'PUT' && /\/\.state\/outcomes-\d+\.json/.test(p)],
])('a storyboard whose %s loses its worker resumes within seconds of a new worker', async (activity, match) => {
  const id = `lost-${activity.toLowerCase()}-${randomUUID().slice(0, 8)}`;
  const staged = await stageBoard(h, boardDoc(id, 3));
  const first = await worker(true);
  const killed = killOn(first, match);
  const handle = await startBoard(h, staged, { window: 3 });
  await killed;
  await first.exited;
  const replacementReadyAt = (await worker(false), Date.now());

  const result = await handle.result();
  expect((result.shots as ManifestEntry[]).map((s) => s.status)).toEqual(['stored', 'stored', 'stored']);
  const run = (await activityRuns(handle)).find((r) => r.activityType === activity);
  expect(run?.outcome?.kind).toBe('completed');
  expect(run?.attempt).toBeGreaterThanOrEqual(2);
  expect((run?.outcome?.at ?? Infinity) - replacementReadyAt).toBeLessThan(NOTICED_WITHIN_MS);
});
