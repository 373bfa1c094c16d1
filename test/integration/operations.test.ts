/**
 * Production operations: the prebuilt worker (npm run build) with its Prometheus endpoint,
 * structured JSON logs without secrets, and search attributes that `temporal workflow list`
 * can filter on.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process';
import { TEST_API_KEY, startHarness, waitFor, type Harness } from '../helpers/harness';
import { boardDoc, stageBoard, startBoard } from '../helpers/storyboard';

jest.setTimeout(300_000);
const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

let h: Harness;
let worker: WorkerProcess | undefined;
let metricsPort: number;

beforeAll(async () => {
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore', timeout: 240_000 });
  h = await startHarness({ inProcessWorker: false });
  metricsPort = 20000 + Math.floor(Math.random() * 20000);
  worker = await spawnWorker(
    {
      ...process.env,
      GPTPROTO_API_KEY: TEST_API_KEY,
      SEEDANCE_API_BASE_URL: h.sim.url,
      SEEDANCE_TASK_QUEUE: h.config.SEEDANCE_TASK_QUEUE,
      STORAGE_URL: h.config.STORAGE_URL,
      SEEDANCE_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      SEEDANCE_LOG_FORMAT: 'json',
      SEEDANCE_USE_DIST: '1',
    },
    { prebuilt: true },
  );
  await worker.ready();
});
afterAll(async () => {
  if (worker && worker.child.exitCode === null) {
    worker.child.kill('SIGTERM');
    await worker.exited;
  }
  await h?.stop();
});

test('a storyboard rendered by the prebuilt worker: metrics, JSON logs, search attributes', async () => {
  const id = `ops-${randomUUID().slice(0, 8)}`;
  const result = await (await startBoard(h, await stageBoard(h, boardDoc(id, 3)), { window: 3 })).result();
  expect(result.counts.stored).toBe(3);

  // The worker ran the bundle built ahead of time, not webpack at start-up.
  expect(worker?.output()).not.toMatch(/webpack .*compiled/);

  // Prometheus: Temporal's runtime metrics and ours, on one endpoint.
  const metrics = await waitFor(
    'our counters on the metrics endpoint',
    async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
    (t) => /seedance_videos_stored\S*\s+3\b/.test(t) || /seedance_videos_stored\{[^}]*\}\s+3\b/.test(t),
    30_000,
    500,
  );
  for (const name of [
    'seedance_submissions',
    'seedance_polls',
    'seedance_bytes_copied',
    'seedance_tokens',
    'seedance_success_to_stored',
    'temporal_workflow_completed',
  ]) {
    expect(metrics).toContain(name);
  }

  // Logs: one JSON object per line, with workflow, shot and task ids, never the key.
  const lines = (worker?.output() ?? '').split('\n').filter((l) => l.startsWith('{'));
  const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const stored = entries.filter((e) => e.message === 'video stored');
  expect(stored).toHaveLength(3);
  for (const e of stored)
    expect(e).toMatchObject({
      storyboardId: id,
      shotId: expect.any(String),
      taskId: expect.any(String),
      workflowId: expect.stringContaining(`${id}/`),
    });
  expect(worker?.output()).not.toContain(TEST_API_KEY);

  // Search attributes: the CLI finds the storyboard's shots by StoryboardId.
  const temporal = process.env.TEMPORAL_CLI_PATH as string;
  const { stdout } = await run(temporal, [
    'workflow',
    'list',
    '--address',
    h.config.TEMPORAL_ADDRESS,
    '--namespace',
    h.config.TEMPORAL_NAMESPACE,
    '--query',
    `StoryboardId="${id}"`,
    '--output',
    'json',
  ]);
  const listed = (JSON.parse(stdout) as Array<{ execution: { workflowId: string } }>).map((w) => w.execution.workflowId).sort();
  expect(listed).toEqual([id, ...boardDoc(id, 3).shots.map((s) => `${id}/${s.id}`)].sort());
});
