/**
 * S3 backend. Uploads go through @aws-sdk/lib-storage's multipart Upload, which holds at most
 * `queueSize` parts of `partSize` bytes in memory whatever the video's size.
 */
import {
  AbortMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  NotFound,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  type MultipartUpload,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { DEFAULT_AWS_REGION } from '../common/config';
import {
  joinKey,
  limitBytes,
  ObjectTooLargeError,
  readAll,
  type ObjectInfo,
  type ReadOptions,
  type StorageBackend,
  type SweepResult,
  type UploadOptions,
} from './backend';

export const PART_SIZE = 8 * 1024 * 1024;
export const QUEUE_SIZE = 2;

export interface S3ClientOptions {
  /** AWS_ENDPOINT_URL_S3 for MinIO and other S3-compatible servers; unset for AWS itself. */
  endpoint?: string;
  /** AWS_REGION from the configuration; default {@link DEFAULT_AWS_REGION}. */
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
    region: opts.region ?? DEFAULT_AWS_REGION,
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
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key), Body: text, ContentType: contentType }));
  }

  async readBytes(key: string, maxBytes: number): Promise<Buffer> {
    return readS3Object(this.client, this.bucket, this.fullKey(key), maxBytes);
  }

  async openRead(key: string, options: ReadOptions = {}): Promise<Readable> {
    return openS3Object(this.client, this.bucket, this.fullKey(key), options);
  }

  /**
   * Aborts multipart uploads under the storage prefix started more than `olderThanMs` ago:
   * the parts of a copy whose worker was killed, billed until aborted. Best effort: a store
   * that refuses the listing (permissions, an S3-compatible server without it) is reported,
   * never thrown. A bucket lifecycle rule (AbortIncompleteMultipartUpload) catches the rest.
   */
  async sweepStaleWrites(olderThanMs: number, now = Date.now()): Promise<SweepResult> {
    const result: SweepResult = { removed: 0, examples: [], errors: [] };
    const cutoff = now - olderThanMs;
    const prefix = this.prefix ? `${this.prefix}/` : '';
    const abortStale = async (uploads: MultipartUpload[]) => {
      for (const upload of uploads) {
        if (!upload.Key?.startsWith(prefix) || !upload.UploadId || !upload.Initiated || upload.Initiated.getTime() >= cutoff) continue;
        try {
          await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.Key, UploadId: upload.UploadId }));
          result.removed++;
          if (result.examples.length < 20) result.examples.push(upload.Key);
        } catch (err) {
          if (result.errors.length < 20) result.errors.push(`aborting the upload of ${upload.Key}: ${describe(err)}`);
        }
      }
    };
    try {
      // AWS filters by prefix. MinIO takes a prefix only when it is a whole object key and
      // lists nothing for a folder: when the filtered listing is empty, list the bucket's
      // uploads and keep those under the prefix here.
      const seen = await this.forEachUploadPage(prefix || undefined, abortStale);
      if (seen === 0 && prefix) await this.forEachUploadPage(undefined, abortStale);
    } catch (err) {
      result.errors.push(`listing multipart uploads in s3://${this.bucket}/${prefix}: ${describe(err)}`);
    }
    return result;
  }

  /** Calls `fn` with each page of the bucket's multipart uploads (under `prefix`); returns how many there were. */
  private async forEachUploadPage(prefix: string | undefined, fn: (uploads: MultipartUpload[]) => Promise<void>): Promise<number> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    let seen = 0;
    for (let page = 0; page < SWEEP_MAX_PAGES; page++) {
      const res = await this.client.send(
        new ListMultipartUploadsCommand({
          Bucket: this.bucket,
          ...(prefix !== undefined ? { Prefix: prefix } : {}),
          ...(keyMarker !== undefined ? { KeyMarker: keyMarker } : {}),
          ...(uploadIdMarker !== undefined ? { UploadIdMarker: uploadIdMarker } : {}),
        }),
      );
      seen += res.Uploads?.length ?? 0;
      await fn(res.Uploads ?? []);
      if (!res.IsTruncated || (res.NextKeyMarker === undefined && res.NextUploadIdMarker === undefined)) return seen;
      keyMarker = res.NextKeyMarker;
      uploadIdMarker = res.NextUploadIdMarker;
    }
    return seen;
  }
}

/** Pages of ListMultipartUploads (1,000 uploads each) one start-up sweep reads at most. */
const SWEEP_MAX_PAGES = 100;

function describe(err: unknown): string {
  const e = err as { name?: string; message?: string } | undefined;
  return e?.name && e.message ? `${e.name}: ${e.message}` : String(err);
}

/**
 * Streams `s3://bucket/key` (the full key, prefix included). With `maxBytes`, refuses an object
 * whose declared size is over it, and ends the stream once the bytes pass it whatever the
 * header said.
 */
export async function openS3Object(client: S3Client, bucket: string, key: string, options: ReadOptions = {}): Promise<Readable> {
  const { maxBytes, signal } = options;
  const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), signal ? { abortSignal: signal } : {});
  // In Node the SDK's body is a Readable; anything else is converted from its web stream.
  const body = !res.Body
    ? Readable.from([])
    : res.Body instanceof Readable
      ? res.Body
      : Readable.fromWeb(res.Body.transformToWebStream() as WebReadableStream);
  if (maxBytes === undefined) return body;
  const name = `s3://${bucket}/${key}`;
  if ((res.ContentLength ?? 0) > maxBytes) {
    body.destroy();
    throw new ObjectTooLargeError(`${name} is ${res.ContentLength} bytes, over the ${maxBytes}-byte limit`);
  }
  return limitBytes(body, maxBytes, name);
}

/** Reads a small object whole (staged images, never videos), bounded as {@link openS3Object} is. */
export async function readS3Object(client: S3Client, bucket: string, key: string, maxBytes: number, signal?: AbortSignal): Promise<Buffer> {
  return readAll(await openS3Object(client, bucket, key, { maxBytes, ...(signal ? { signal } : {}) }));
}

function isNotFound(err: unknown): boolean {
  if (err instanceof NotFound) return true;
  if (err instanceof S3ServiceException) {
    return err.$metadata.httpStatusCode === 404 || err.name === 'NoSuchKey' || err.name === 'NotFound';
  }
  return false;
}
