/**
 * StorageBackend.openRead on S3 (real MinIO): streams an object back, refuses one over
 * maxBytes before reading it, tells a missing object apart, and lets withLocalFile copy an
 * object out for tools that need a path. S3 keeps metadata with the object: no stand-ins.
 */
import { DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { isObjectMissing, ObjectTooLargeError, readAll } from '../../storage/backend';
import { createStorage } from '../../storage/from-config';
import { withLocalFile } from '../../storage/local-copy';
import { infraEnv } from '../helpers/harness';

const infra = infraEnv();
const prefix = `test-open-read-${randomUUID().slice(0, 8)}`;
const wiring = createStorage({
  STORAGE_URL: `s3://${infra.bucket}/${prefix}`,
  AWS_ENDPOINT_URL_S3: infra.s3Endpoint,
  AWS_REGION: 'us-east-1',
});
const { storage } = wiring;
const s3 = wiring.s3 as NonNullable<typeof wiring.s3>;
const BYTES = Buffer.from('0123456789'.repeat(1000));

beforeAll(async () => {
  await storage.upload('sb/s1.mp4', Readable.from([BYTES]), { contentType: 'video/mp4', metadata: { 'task-id': 'cgt-1' } });
});
afterAll(async () => {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: infra.bucket, Prefix: `${prefix}/` }));
  const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key as string }));
  if (keys.length) await s3.send(new DeleteObjectsCommand({ Bucket: infra.bucket, Delete: { Objects: keys } }));
  s3.destroy();
});

test('the backend is S3 and has no local paths', () => {
  expect(storage.urlOf('sb/s1.mp4')).toBe(`s3://${infra.bucket}/${prefix}/sb/s1.mp4`);
  expect(storage.localPath).toBeUndefined();
});

test('openRead streams the object back, whole or within a limit it fits', async () => {
  expect((await readAll(await storage.openRead('sb/s1.mp4'))).equals(BYTES)).toBe(true);
  expect((await readAll(await storage.openRead('sb/s1.mp4', { maxBytes: BYTES.length }))).equals(BYTES)).toBe(true);
});

test('an object over maxBytes is refused before it is read', async () => {
  await expect(storage.openRead('sb/s1.mp4', { maxBytes: BYTES.length - 1 })).rejects.toBeInstanceOf(ObjectTooLargeError);
});

test('a missing object rejects as missing', async () => {
  const err = await storage.openRead('sb/none.mp4').catch((e: unknown) => e);
  expect(isObjectMissing(err)).toBe(true);
});

test('withLocalFile copies the object to a temporary file and removes it after', async () => {
  let seen = '';
  const text = await withLocalFile(storage, 'sb/s1.mp4', async (file) => {
    seen = file;
    return readFileSync(file);
  });
  expect(text.equals(BYTES)).toBe(true);
  expect(existsSync(seen)).toBe(false);
});

test('metadata travels with the object: nothing but the object is listed', async () => {
  expect(await storage.stat('sb/s1.mp4')).toEqual({ bytes: BYTES.length, metadata: { 'task-id': 'cgt-1' } });
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: infra.bucket, Prefix: `${prefix}/` }));
  expect((listed.Contents ?? []).map((o) => o.Key)).toEqual([`${prefix}/sb/s1.mp4`]);
});
