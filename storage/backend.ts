/**
 * Object storage as the copy, staging, storyboard and report code need it. Two backends: S3
 * (any S3-compatible server, via the AWS SDK v3) and the local filesystem. Nothing here
 * knows Temporal, the CLI or the workers: `storage/` imports only `common/`.
 */
import { pipeline, Transform, type Readable } from 'node:stream';

export interface ObjectInfo {
  bytes: number;
  metadata: Record<string, string>;
}

export interface UploadOptions {
  contentType: string;
  /** ASCII only (S3 user metadata travels in headers). */
  metadata: Record<string, string>;
  signal?: AbortSignal;
}

export interface ReadOptions {
  /**
   * Refuse an object larger than this: {@link ObjectTooLargeError} before a byte is read when
   * its size says so, and as the stream's error once more bytes than this arrive.
   */
  maxBytes?: number;
  signal?: AbortSignal;
}

export interface StorageBackend {
  /** `s3://bucket/prefix/key` or `file:///dir/key`: where a key lives, for people and manifests. */
  urlOf(key: string): string;
  stat(key: string): Promise<ObjectInfo | null>;
  /** Streams `body` to `key`; never holds the whole object in memory. Atomic: readers never see a partial object. */
  upload(key: string, body: Readable, options: UploadOptions): Promise<void>;
  readText(key: string): Promise<string | null>;
  writeText(key: string, text: string, contentType: string): Promise<void>;
  /** Reads a small object whole (images, manifests); refuses anything over `maxBytes`. */
  readBytes(key: string, maxBytes: number): Promise<Buffer>;
  /**
   * Streams an object back, never holding it whole. A missing object rejects (see
   * {@link isObjectMissing}); with `maxBytes`, a larger one is refused (see {@link ReadOptions}).
   */
  openRead(key: string, options?: ReadOptions): Promise<Readable>;
  /**
   * Where the object already is a local file (the filesystem backend): its checked path, for
   * tools that need one (ffmpeg). Absent: copy it out with `withLocalFile` (storage/local-copy.ts).
   */
  localPath?(key: string): Promise<string>;
  /**
   * Removes what writes killed midway left behind (temporary files, incomplete multipart
   * uploads) older than `olderThanMs`. Best effort: reports problems, never throws for them.
   */
  sweepStaleWrites?(olderThanMs: number): Promise<SweepResult>;
}

/** What a start-up sweep removed: the count, a few of the names, and any problems. */
export interface SweepResult {
  removed: number;
  /** Up to 20 of the removed keys or names. */
  examples: string[];
  /** Up to 20 problems met (a sweep never fails for them). */
  errors: string[];
}

/**
 * A temporary file or multipart upload older than this is a leftover of a killed write and is
 * removed at worker start-up. Longer than any write can live: the copy activity's
 * start-to-close timeout is 2 hours, and an S3 multipart upload's age counts from its start,
 * however fast its parts still arrive.
 */
export const STALE_WRITE_AGE_MS = 3 * 60 * 60 * 1000;

/** A read refused because the object is larger than the reader allows. */
export class ObjectTooLargeError extends Error {
  override readonly name = 'ObjectTooLargeError';
}

/**
 * `body`, ended with {@link ObjectTooLargeError} once more than `maxBytes` pass (`name` says
 * which object). Destroying either side destroys the other, so an abandoned read stops.
 */
export function limitBytes(body: Readable, maxBytes: number, name: string): Readable {
  let total = 0;
  const limited = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      total += chunk.length;
      if (total > maxBytes) done(new ObjectTooLargeError(`${name} is ${total} bytes, over the ${maxBytes}-byte limit`));
      else done(null, chunk);
    },
  });
  // The callback only keeps the error from going unhandled: whoever reads `limited` sees it.
  return pipeline(body, limited, () => undefined);
}

/** Reads a stream whole; with {@link limitBytes} in front it is bounded. */
export async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * True for "there is no such object" from either backend (S3 NoSuchKey/404, ENOENT): a
 * wrong reference, as opposed to a store that cannot be reached.
 */
export function isObjectMissing(err: unknown): boolean {
  const e = err as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!e) return false;
  return (
    e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404 || e.code === 'ENOENT' || e.code === 'EISDIR'
  );
}

/** `s3://bucket/prefix` or `file:///dir`, parsed. */
export type StorageLocation = { kind: 's3'; bucket: string; prefix: string } | { kind: 'file'; dir: string };

export function parseStorageUrl(url: string): StorageLocation {
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (s3) return { kind: 's3', bucket: s3[1] as string, prefix: (s3[2] ?? '').replace(/^\/+|\/+$/g, '') };
  if (url.startsWith('file://')) {
    const dir = decodeURIComponent(new URL(url).pathname);
    if (!dir || dir === '/') throw new Error(`STORAGE_URL ${url}: name a directory, not the filesystem root`);
    return { kind: 'file', dir: dir.replace(/\/+$/, '') };
  }
  throw new Error(`storage URL must be s3://bucket/prefix or file:///dir, got ${JSON.stringify(url)}`);
}

/** Joins key parts with single slashes. */
export function joinKey(...parts: string[]): string {
  return parts
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/');
}
