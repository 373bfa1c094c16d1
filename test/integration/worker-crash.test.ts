/**
 * Durability: a worker killed with SIGKILL in the middle of polling loses nothing and pays
 * for nothing twice.
 */
import { randomUUID } from 'node:crypto';
import { startRenderVideo, waitForVideo } from '../../client/video';
import { renderVideoProgressQuery } from '../../workflows';
import { FAST_SCHEDULE, harnessWorkerEnv, s3Object, servedSha256, startHarness, waitFor, type Harness } from '../helpers/harness';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process';

jest.setTimeout(180_000);

let h: Harness;
const workers: WorkerProcess[] = [];
beforeAll(async () => {
  h = await startHarness({ inProcessWorker: false });
});
afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await h?.stop();
});

const workerEnv = () => harnessWorkerEnv(h);

test('SIGKILL while polling, restart: the video lands and exactly one submission was made', async () => {
  const first = await spawnWorker(workerEnv());
  workers.push(first);
  await first.ready();

  const handle = await startRenderVideo(
    h.client,
    { shot: { prompt: 'survives a crash [sim:render=8000]' }, schedule: FAST_SCHEDULE },
    { taskQueue: h.config.SEEDANCE_TASK_QUEUE, workflowId: `crash-${randomUUID()}` },
  );
  const before = await waitFor(
    'polling to start',
    () => handle.query(renderVideoProgressQuery),
    (p) => p.phase === 'polling' && p.polls >= 1,
    60_000,
  );
  expect(before.taskId).toBeDefined();

  first.child.kill('SIGKILL');
  expect((await first.exited).signal).toBe('SIGKILL');
  expect(h.sim.stats().tasks.find((t) => t.id === before.taskId)?.status).not.toBe('succeeded');

  const second = await spawnWorker(workerEnv());
  workers.push(second);
  await second.ready();

  const outcome = await waitForVideo(handle);
  expect(outcome).toMatchObject({ status: 'stored', taskId: before.taskId });
  expect(h.sim.stats()).toMatchObject({ submissions: 1, submitAttempts: 1 });
  const stored = await s3Object(h, `${h.prefix}/${outcome.key}`);
  expect(stored.sha256).toBe((await servedSha256(`${h.sim.url}/videos/${before.taskId}.mp4`)).sha256);

  second.child.kill('SIGTERM');
  expect((await second.exited).code).toBe(0);
});
