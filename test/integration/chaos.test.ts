/**
 * Chaos: a storyboard of text and image shots of both API families while worker processes
 * are SIGKILLed every few seconds, the Temporal server is restarted once and the S3 server is
 * down for a while, against a simulator that answers 429s and 500s and fails some tasks.
 *
 * Asserted: nothing paid twice, no task that the provider accepted and finished is missing
 * from the bucket, the manifest equals the bucket, and every shot ends with a reason.
 * Bounded: a few minutes on a 2-core machine.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createS3Client } from '../../storage/s3';
import type { ManifestEntry } from '../../common/storyboard';
import { storyboardProgressQuery } from '../../workflows';
import { harnessWorkerEnv, startHarness, waitFor, type Harness } from '../helpers/harness';
import { startKiller, type Killer } from '../helpers/chaos';
import { expectDurableOutcome } from '../helpers/render-outcome';
import { startPrivateMinio, type PrivateMinio } from '../helpers/private-minio';
import { startPrivateTemporal, type PrivateTemporal } from '../helpers/private-temporal';
import { stageBoard, startBoard } from '../helpers/storyboard';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process';

jest.setTimeout(480_000);

const SHOTS = 48;
const WORKERS = 2;
const S3_DOWN_MS = 8_000;
const IMAGE = path.resolve(__dirname, '../../examples/images/dawn-start.png');
const PREDICTIONS_MODEL = 'doubao-seedance-2-0-fast-260128';

let temporal: PrivateTemporal;
let minio: PrivateMinio;
let h: Harness;
let killer: Killer | undefined;
const workers: WorkerProcess[] = [];
const chaosLog: string[] = [];

beforeAll(async () => {
  temporal = await startPrivateTemporal();
  minio = await startPrivateMinio();
  h = await startHarness({
    inProcessWorker: false,
    sim: { rates: { rateLimit: 0.08, serverError: 0.05, failed: 0.05 }, randomSeed: 7, retryAfterSeconds: 1, renderMs: 2500 },
    env: { TEMPORAL_ADDRESS: temporal.address, AWS_ENDPOINT_URL_S3: minio.endpoint },
  });
  h.s3.destroy();
  h.s3 = createS3Client({ endpoint: minio.endpoint }) as S3Client;
});
afterAll(async () => {
  await killer?.stop().catch(() => undefined);
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  await h?.stop();
  await minio?.stop();
  await temporal?.stop();
  // What happened, for whoever reads a failing run.
  if (chaosLog.length) process.stderr.write(`chaos log:\n  ${chaosLog.join('\n  ')}\n`);
});

async function spawn(): Promise<WorkerProcess> {
  const w = await spawnWorker(
    harnessWorkerEnv(h, { TEMPORAL_ADDRESS: temporal.address, AWS_ENDPOINT_URL_S3: minio.endpoint, SEEDANCE_LOG_LEVEL: 'WARN' }),
  );
  workers.push(w);
  await w.ready();
  return w;
}

/** Text and first-frame shots of both families, in turn. */
function chaosBoard(id: string) {
  return {
    id,
    defaults: { duration: 5 },
    shots: Array.from({ length: SHOTS }, (_, i) => ({
      id: `s${String(i).padStart(2, '0')}`,
      prompt: `${id} chaos shot ${i}`,
      ...(i % 2 ? { images: [{ path: 'first.png', role: 'first_frame' }] } : {}),
      ...(i % 4 >= 2 ? { model: PREDICTIONS_MODEL } : {}),
    })),
  };
}

test(`${SHOTS} shots through worker SIGKILLs, a Temporal restart and an S3 outage: nothing paid twice, nothing paid lost`, async () => {
  for (let i = 0; i < WORKERS; i++) await spawn();
  const id = `chaos-${randomUUID().slice(0, 8)}`;
  const staged = await stageBoard(h, chaosBoard(id), { 'first.png': IMAGE });
  const handle = await startBoard(h, staged, { window: 8 });
  const stored = async () => (await handle.query(storyboardProgressQuery)).counts.stored;

  killer = startKiller({
    everyMs: [2500, 4500],
    targets: () => workers,
    respawn: async (killed) => {
      workers.splice(workers.indexOf(killed), 1);
      return spawn();
    },
    // This test is about every other moment: kills in the middle of a submit, which the
    // workflow settles through its callback or the task list, are callbacks-chaos.test.ts's.
    quietSubmits: () => h.sim.stats(),
    log: (line) => chaosLog.push(`${new Date().toISOString()} ${line}`),
  });

  await waitFor('a few shots stored before the Temporal restart', stored, (n) => n >= 6, 240_000, 500);
  chaosLog.push(`${new Date().toISOString()} restarting Temporal`);
  await temporal.restart();

  await waitFor('more shots stored before the S3 outage', stored, (n) => n >= 18, 240_000, 500);
  chaosLog.push(`${new Date().toISOString()} S3 down for ${S3_DOWN_MS} ms`);
  await minio.kill();
  await new Promise((r) => setTimeout(r, S3_DOWN_MS)); // the outage itself
  await minio.start();
  chaosLog.push(`${new Date().toISOString()} S3 back`);

  const result = await handle.result();
  await killer.stop();
  chaosLog.push(`${new Date().toISOString()} done: ${killer.kills()} kills, ${killer.skips()} skipped`);
  expect(killer.kills()).toBeGreaterThanOrEqual(3);

  // Every shot terminal with a reason, 0 double-paid, 0 accepted-and-succeeded-but-not-stored,
  // failures only the provider's own verdicts, the manifest equal to the bucket.
  const entries = result.shots as ManifestEntry[];
  await expectDurableOutcome(h, id, SHOTS, entries);
  expect(entries.filter((e) => e.status === 'failed').length).toBeLessThan(SHOTS / 4);
});
