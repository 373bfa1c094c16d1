/**
 * Object storage that stops answering or goes away while image shots prepare their submits.
 * A private MinIO (so pausing it disturbs no other test) behind a proxy that tells the test
 * the moment the first staged image is requested.
 */
import { type S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createS3Client } from '../../storage/s3';
import type { ManifestEntry, StoryboardResult } from '../../common/storyboard';
import { s3Object, startHarness, type Harness } from '../helpers/harness';
import { activityRuns } from '../helpers/history';
import { startPrivateMinio, type PrivateMinio } from '../helpers/private-minio';
import { startS3Proxy, type S3Proxy } from '../helpers/s3-proxy';
import { stageBoard, startBoard } from '../helpers/storyboard';

jest.setTimeout(480_000);

const IMAGE = path.resolve(__dirname, '../../examples/images/dawn-start.png');
/** Longer than any submit attempt may live (its 2-minute start-to-close timeout). */
const PAUSE_MS = 130_000;
const SHOTS = 6;

let minio: PrivateMinio;
let proxy: S3Proxy;
let h: Harness;

beforeAll(async () => {
  minio = await startPrivateMinio();
  proxy = await startS3Proxy(minio.endpoint);
  h = await startHarness({ env: { AWS_ENDPOINT_URL_S3: proxy.url } });
  // Read back from the private server, not the shared one the harness would use.
  h.s3.destroy();
  h.s3 = createS3Client({ endpoint: minio.endpoint }) as S3Client;
});
afterAll(async () => {
  await h?.stop();
  await proxy?.close();
  await minio?.stop();
});
beforeEach(() => h.sim.reset());

function imageBoard(id: string) {
  return {
    id,
    defaults: { duration: 5 },
    shots: Array.from({ length: SHOTS }, (_, i) => ({
      id: `s${i}`,
      prompt: `${id} image shot ${i}`,
      images: [{ path: 'first.png', role: 'first_frame' }],
      ...(i % 2 ? { model: 'doubao-seedance-2-0-fast-260128' } : {}),
    })),
  };
}

/** Resolves when the first staged image is requested, after `act` ran at that very moment. */
function onFirstImageRead(act: () => void): Promise<number> {
  let done = false;
  return new Promise((resolve) =>
    proxy.onRequest((r) => {
      if (done || r.method !== 'GET' || !r.path.includes('/inputs/')) return;
      done = true;
      act();
      resolve(Date.now());
    }),
  );
}

async function expectEveryShotStoredOnce(result: StoryboardResult): Promise<void> {
  const entries = result.shots as ManifestEntry[];
  expect(entries.map((e) => [e.shotId, e.status, e.failureType])).toEqual(entries.map((e) => [e.shotId, 'stored', undefined]));
  for (const e of entries) {
    const stored = await s3Object(h, `${h.prefix}/${e.key}`);
    expect({ sha256: stored.sha256, bytes: stored.bytes }).toEqual({ sha256: e.sha256, bytes: e.bytes });
  }
  const stats = h.sim.stats();
  // Accepted submissions equal stored videos: none was sent twice, none went unstored.
  expect(stats.submissions).toBe(SHOTS);
  expect(Object.values(stats.submissionsByPrompt)).toEqual(Array(SHOTS).fill(1));
  expect(stats.tasks.map((t) => t.id).sort()).toEqual(entries.map((e) => e.taskId).sort());
}

/** createTask attempts that ended without a task, across the storyboard's shots. */
async function failedCreateAttempts(result: StoryboardResult): Promise<string[]> {
  const types: string[] = [];
  for (const e of result.shots as ManifestEntry[]) {
    const runs = await activityRuns(h.client.workflow.getHandle(`${result.storyboardId}/${e.shotId}`));
    for (const r of runs)
      if (r.activityType === 'createTask' && r.outcome?.kind !== 'completed') types.push(r.outcome?.failureType ?? r.outcome?.kind ?? '?');
  }
  return types;
}

test(`S3 paused (SIGSTOP) for ${PAUSE_MS / 1000} s while image shots read their first frames: every shot stored, nothing sent late or twice`, async () => {
  const id = `paused-${randomUUID().slice(0, 8)}`;
  const staged = await stageBoard(h, imageBoard(id), { 'first.png': IMAGE });
  const paused = onFirstImageRead(() => minio.pause());
  // The image reads are also held at the proxy: SIGSTOP takes effect asynchronously, and on a
  // loaded machine MinIO once answered the very read that paused it (a shot submitted during
  // the "outage"). Held, no read reaches MinIO until the outage ends; to the worker a held
  // read and a frozen server look the same (no answer).
  proxy.hold((r) => r.method === 'GET' && r.path.includes('/inputs/'));
  const handle = await startBoard(h, staged, { window: SHOTS });
  await paused;
  try {
    await new Promise((r) => setTimeout(r, PAUSE_MS)); // the outage itself, not a wait for a result
    expect(h.sim.stats().submitAttempts).toBe(0); // nothing could be prepared, so nothing was sent
  } finally {
    // Even when the expectation fails: a server left frozen would hang every later test and the teardown.
    proxy.release();
    minio.resume();
  }

  const result = await handle.result();
  await expectEveryShotStoredOnce(result);
  const failures = await failedCreateAttempts(result);
  expect(failures.length).toBeGreaterThan(0); // the outage was felt...
  expect(failures.every((t) => t === 'StorageUnavailable' || t === 'SubmitNotSent')).toBe(true); // ...and retried, never InvalidRequest
});

test('S3 killed for 10 s and restarted while image shots prepare: every shot stored, none InvalidRequest', async () => {
  const id = `killed-${randomUUID().slice(0, 8)}`;
  const staged = await stageBoard(h, imageBoard(id), { 'first.png': IMAGE });
  let back: Promise<void> | undefined;
  const killed = onFirstImageRead(() => {
    back = minio.kill().then(() => new Promise((r) => setTimeout(r, 10_000)).then(() => minio.start()));
  });
  const handle = await startBoard(h, staged, { window: SHOTS });
  await killed;
  await back;

  const result = await handle.result();
  await expectEveryShotStoredOnce(result);
  const failures = await failedCreateAttempts(result);
  expect(failures.length).toBeGreaterThan(0);
  expect(failures).not.toContain('InvalidRequest');
});
