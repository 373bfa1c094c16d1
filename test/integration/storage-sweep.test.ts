/**
 * Leftovers of writes killed midway are swept at worker start-up: incomplete multipart
 * uploads under the storage prefix on S3 (real MinIO here), `.partial-*` files on the
 * filesystem (by a real `seedance-flow worker` process).
 */
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { STALE_WRITE_AGE_MS } from '../../storage/backend';
import { sweepStaleWrites } from '../../storage/from-config';
import { createS3Client, S3Storage } from '../../storage/s3';
import { infraEnv, waitFor } from '../helpers/harness';

const BIN = path.resolve(__dirname, '../../bin/seedance-flow.js');
const infra = infraEnv();
const s3 = createS3Client({ endpoint: infra.s3Endpoint });
afterAll(() => s3.destroy());

/** Starts a multipart upload with one part, as a copy killed mid-transfer leaves it. */
async function startUpload(key: string): Promise<string> {
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: infra.bucket, Key: key }));
  await s3.send(new UploadPartCommand({ Bucket: infra.bucket, Key: key, UploadId, PartNumber: 1, Body: Buffer.alloc(1024, 1) }));
  return UploadId as string;
}

async function uploadsOf(key: string): Promise<string[]> {
  // MinIO lists by exact key only; that is all these checks need.
  const res = await s3.send(new ListMultipartUploadsCommand({ Bucket: infra.bucket, Prefix: key }));
  return (res.Uploads ?? []).filter((u) => u.Key === key).map((u) => u.UploadId as string);
}

describe('S3: incomplete multipart uploads under the prefix', () => {
  const prefix = `test-sweep-${randomUUID().slice(0, 8)}`;
  const ours = [`${prefix}/sb/s1.mp4`, `${prefix}/sb/thumbs/s2.jpg`];
  const neighbour = `${prefix}-other/sb/s1.mp4`;
  let neighbourUpload: string;
  beforeAll(async () => {
    for (const key of ours) await startUpload(key);
    neighbourUpload = await startUpload(neighbour);
  });
  afterAll(async () => {
    await s3
      .send(new AbortMultipartUploadCommand({ Bucket: infra.bucket, Key: neighbour, UploadId: neighbourUpload }))
      .catch(() => undefined);
  });

  test('uploads younger than the age are left alone (a copy may still be running)', async () => {
    const result = await new S3Storage(s3, infra.bucket, prefix).sweepStaleWrites(STALE_WRITE_AGE_MS);
    expect(result).toEqual({ removed: 0, examples: [], errors: [] });
    for (const key of ours) expect(await uploadsOf(key)).toHaveLength(1);
  });

  test('older ones under the prefix are aborted; a neighbouring prefix is not touched', async () => {
    // "Older than 0 ms, one minute from now": every upload counts as stale.
    const result = await new S3Storage(s3, infra.bucket, prefix).sweepStaleWrites(0, Date.now() + 60_000);
    expect(result.errors).toEqual([]);
    expect(result.removed).toBe(2);
    expect(result.examples.sort()).toEqual([...ours].sort());
    for (const key of ours) expect(await uploadsOf(key)).toEqual([]);
    expect(await uploadsOf(neighbour)).toEqual([neighbourUpload]);
  });

  test('the start-up sweep of the configured storage is logged and never throws', async () => {
    await startUpload(`${prefix}/sb/s3.mp4`);
    const logs: string[] = [];
    const log = { info: (m: string) => logs.push(`info ${m}`), warn: (m: string) => logs.push(`warn ${m}`) };
    const config = { STORAGE_URL: `s3://${infra.bucket}/${prefix}`, AWS_ENDPOINT_URL_S3: infra.s3Endpoint, AWS_REGION: 'us-east-1' };
    expect(
      (await sweepStaleWrites({ storage: new S3Storage(s3, infra.bucket, prefix), url: config.STORAGE_URL }, log, -60_000))?.removed,
    ).toBe(1);
    expect(logs).toEqual(['info removed leftovers of interrupted writes']);
    // A bucket that is not there: a warning, not a failure.
    const bucket = `no-such-bucket-${randomUUID().slice(0, 8)}`;
    const missing = await sweepStaleWrites({ storage: new S3Storage(s3, bucket, 'x'), url: `s3://${bucket}/x` }, log);
    expect(missing?.errors.length).toBeGreaterThan(0);
    expect(logs[logs.length - 1]).toBe('warn could not sweep all leftovers of interrupted writes');
  });
});

describe('filesystem: the worker sweeps stale .partial-* files when it starts', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sf-sweep-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('a leftover from a killed copy is gone shortly after `seedance-flow worker` starts; a fresh one stays', async () => {
    const board = path.join(dir, 'renders', 'sb');
    mkdirSync(board, { recursive: true });
    const stale = path.join(board, 's1.mp4.partial-0d6e9a52-3f0c-4a8e-9c1b-2b7f5e4d3c21');
    const fresh = path.join(board, 's2.mp4.partial-1b2c3d4e-0000-4000-8000-000000000000');
    writeFileSync(stale, 'half a video');
    writeFileSync(fresh, 'a copy in progress');
    const old = new Date(Date.now() - STALE_WRITE_AGE_MS - 60_000);
    utimesSync(stale, old, old);

    // The copy role only: no workflow bundle to build, so the worker is up in a second or two.
    const worker = spawn(process.execPath, [BIN, 'worker'], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: infra.temporalAddress,
        SEEDANCE_TASK_QUEUE: `test-sweep-${randomUUID().slice(0, 8)}`,
        SEEDANCE_WORKER_ROLES: 'copy',
        STORAGE_URL: `file://${path.join(dir, 'renders')}`,
        GPTPROTO_API_KEY: 'sk-unused',
        SEEDANCE_LOG_FORMAT: 'text',
        SEEDANCE_LOG_LEVEL: 'INFO',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    worker.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    try {
      await waitFor(
        'the stale partial to be swept',
        () => existsSync(stale),
        (there) => !there,
        30_000,
        200,
      );
      expect(existsSync(fresh)).toBe(true);
      await waitFor(
        'the sweep to be logged',
        () => stderr,
        (s) => s.includes('removed leftovers of interrupted writes'),
        10_000,
        100,
      );
    } finally {
      worker.kill('SIGTERM');
      await exited;
    }
  }, 60_000);
});
