/**
 * S3 backend. Uploads go through @aws-sdk/lib-storage's multipart Upload, which holds at most
 * `queueSize` parts of `partSize` bytes in memory whatever the video's size.
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';
import { joinKey, ObjectTooLargeError, type ObjectInfo, type StorageBackend, type UploadOptions } from './backend';

export const PART_SIZE = 8 * 1024 * 1024;
export const QUEUE_SIZE = 2;

export interface S3ClientOptions {
  /** AWS_ENDPOINT_URL_S3 for MinIO and other S3-compatible servers; unset for AWS itself. */
  endpoint?: string;
  region?: string;
}

/**
 * Without these the SDK waits forever on a store that accepts connections and never answers
 * (a paused or overloaded server): an activity would then outlive its own timeout and act
 * after Temporal gave it up. `requestTimeout` is socket inactivity, so long transfers that keep
 * moving are not cut off.
 */
export const S3_CONNECTION_TIMEOUT_MS = 5_000;
export const S3_REQUEST_TIMEOUT_MS = 30_000;

export function createS3Client(opts: S3ClientOptions = {}): S3Client {
  return new S3Client({
    region: opts.region ?? process.env.AWS_REGION ?? 'us-east-1',
    ...(opts.endpoint ? { endpoint: opts.endpoint, forcePathStyle: true } : {}),
    requestHandler: { connectionTimeout: S3_CONNECTION_TIMEOUT_MS, requestTimeout: S3_REQUEST_TIMEOUT_MS },
  });
}

export class S3Storage implements StorageBackend {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    readonly prefix: string,
  ) {}

  private fullKey(key: string): string {
    return joinKey(this.prefix, key);
  }

  urlOf(key: string): string {
    return `s3://${this.bucket}/${this.fullKey(key)}`;
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
      return { bytes: head.ContentLength ?? 0, metadata: head.Metadata ?? {} };
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async upload(key: string, body: Readable, options: UploadOptions): Promise<void> {
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: this.fullKey(key),
        Body: body,
        ContentType: options.contentType,
        Metadata: options.metadata,
      },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      // A failed multipart upload must not leave billable orphan parts behind.
      leavePartsOnError: false,
    });
    const onAbort = () => void upload.abort().catch(() => undefined);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await upload.done();
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  async readText(key: string): Promise<string | null> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) }));
      return (await res.Body?.transformToString('utf8')) ?? null;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async writeText(key: string, text: string, contentType: string): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key), Body: text, ContentType: contentType }),
    );
  }

  async readBytes(key: string, maxBytes: number): Promise<Buffer> {
    return readS3Object(this.client, this.bucket, this.fullKey(key), maxBytes);
  }
}

/**
 * Reads a small object whole (staged images, never videos): refuses one whose declared size
 * is over `maxBytes`, and stops reading once the bytes pass it whatever the header said.
 */
export async function readS3Object(
  client: S3Client,
  bucket: string,
  key: string,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), signal ? { abortSignal: signal } : {});
  const body = res.Body as (Readable & { destroy(): void }) | undefined;
  const tooLarge = (bytes: number) => new ObjectTooLargeError(`s3://${bucket}/${key} is ${bytes} bytes, over the ${maxBytes}-byte limit`);
  if ((res.ContentLength ?? 0) > maxBytes) {
    body?.destroy();
    throw tooLarge(res.ContentLength ?? 0);
  }
  if (!body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += (chunk as Buffer).length;
    if (total > maxBytes) {
      body.destroy();
      throw tooLarge(total);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}

function isNotFound(err: unknown): boolean {
  if (err instanceof NotFound) return true;
  if (err instanceof S3ServiceException) {
    return err.$metadata.httpStatusCode === 404 || err.name === 'NoSuchKey' || err.name === 'NotFound';
  }
  return false;
}
