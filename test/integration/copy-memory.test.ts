/**
 * The copy streams: a video larger than 100 MB goes from the provider to S3 while the
 * worker's resident memory stays far below the video's size.
 */
import { randomUUID } from 'node:crypto';
import { startRenderVideo, waitForVideo } from '../../client/video';
import { generatedVideo } from '../../simulator';
import { FAST_SCHEDULE, TEST_API_KEY, s3Object, sha256OfStream, startHarness, type Harness } from '../helpers/harness';
import { memoryOf, resetPeak, spawnWorker, type WorkerProcess } from '../helpers/worker-process';

jest.setTimeout(300_000);

const VIDEO_BYTES = Number(process.env.MEM_TEST_MB ?? 512) * 1024 * 1024;
/**
 * Multipart upload holds 2 parts of 8 MiB in flight; the rest of the growth is V8 collecting
 * 64 KiB chunks lazily. Measured here: ~70 MiB for 128 MiB, ~95 MiB for 768 MiB (flat in the
 * video size), so a quarter of a 512 MiB video is a bound that a buffering copy cannot meet.
 */
const GROWTH_BOUND = 128 * 1024 * 1024;

let h: Harness;
let worker: WorkerProcess | undefined;
beforeAll(async () => {
  h = await startHarness({ inProcessWorker: false });
});
afterAll(async () => {
  if (worker && worker.child.exitCode === null) worker.child.kill('SIGKILL');
  await h?.stop();
});

test(`copying a ${VIDEO_BYTES / 2 ** 20} MiB video keeps the worker's peak RSS growth under ${GROWTH_BOUND / 2 ** 20} MiB`, async () => {
  worker = await spawnWorker({
    ...process.env,
    GPTPROTO_API_KEY: TEST_API_KEY,
    SEEDANCE_API_BASE_URL: h.sim.url,
    SEEDANCE_TASK_QUEUE: h.config.SEEDANCE_TASK_QUEUE,
    STORAGE_URL: h.config.STORAGE_URL,
  });
  await worker.ready();
  const pid = worker.child.pid as number;
  const render = async (prompt: string) => {
    const handle = await startRenderVideo(
      h.client,
      { shot: { prompt }, schedule: FAST_SCHEDULE },
      {
        taskQueue: h.config.SEEDANCE_TASK_QUEUE,
        workflowId: `mem-${randomUUID()}`,
      },
    );
    return waitForVideo(handle);
  };

  // Warm up every code path (workflow bundle, SDK clients) with a small video first.
  expect((await render('warm-up')).status).toBe('stored');
  const before = memoryOf(pid);
  const peakReset = resetPeak(pid);

  let sampledPeak = before.rss;
  const sampler = setInterval(() => {
    try {
      sampledPeak = Math.max(sampledPeak, memoryOf(pid).rss);
    } catch {
      // process gone: the assertions below will say so
    }
  }, 50);
  const outcome = await render(`big one [sim:size=${VIDEO_BYTES}]`).finally(() => clearInterval(sampler));
  expect(outcome).toMatchObject({ status: 'stored', bytes: VIDEO_BYTES });

  const after = memoryOf(pid);
  const peak = peakReset ? Math.max(after.peak, sampledPeak) : sampledPeak;
  const growth = peak - before.rss;
  console.log(
    `copy of ${VIDEO_BYTES / 2 ** 20} MiB: worker RSS before ${(before.rss / 2 ** 20).toFixed(0)} MiB, ` +
      `peak during copy ${(peak / 2 ** 20).toFixed(0)} MiB (growth ${(growth / 2 ** 20).toFixed(0)} MiB, kernel peak ${peakReset ? 'reset' : 'not resettable'})`,
  );
  expect(growth).toBeLessThan(GROWTH_BOUND);

  // And the bytes are right: S3 holds exactly what the provider served.
  const expected = await sha256OfStream(generatedVideo(VIDEO_BYTES, outcome.taskId as string));
  const stored = await s3Object(h, `${h.prefix}/${outcome.key}`);
  expect(stored).toMatchObject({ sha256: expected.sha256, bytes: VIDEO_BYTES });
  expect(outcome.sha256).toBe(expected.sha256);
});
