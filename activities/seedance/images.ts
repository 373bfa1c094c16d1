/**
 * Images reach the provider as URLs it can fetch or as data URLs. Our own references
 * (`s3://`, `file://`) are read here, while a submit is prepared, and inlined as base64 at
 * request time, so image bytes never enter workflow history.
 *
 * Read failures are told apart by cause: a missing, oversized or non-image object is an
 * invalid request; a store that cannot be reached or answers too slowly is
 * `StorageUnavailable`, retried, because nothing about the input is wrong.
 */
import { ApplicationFailure } from '@temporalio/common';
import { fileURLToPath } from 'node:url';
import type { ImageRef } from '../../common/shot';
import { isObjectMissing, ObjectTooLargeError } from '../../storage/backend';
import { LocalFileError, readBoundedFile } from '../../storage/local-file';
import { inspectImage } from '../../common/image-header';
import { invalidRequest, storageUnavailable } from './submit-failures';

/** The provider's limit per image (docs/provider/notes.md, "Inputs"). */
export const MAX_IMAGE_BYTES = 30 * 1024 * 1024;

/** One staged image read may take this long before the store counts as unavailable. */
export const IMAGE_READ_TIMEOUT_MS = 20_000;

/** Reads `s3://bucket/key` objects; supplied by the storage wiring. */
export type S3ObjectReader = (bucket: string, key: string, maxBytes: number, signal?: AbortSignal) => Promise<Buffer>;

/** How the worker reads image references: only those staging produced. */
export interface ImageSources {
  /**
   * True for a reference into the configured storage's own inputs area (`inputs/<sha256>.<ext>`,
   * as staging writes it; `key` the shape of the key, images by default). Anything else —
   * another bucket, any other local file — is refused: a workflow input must not make the
   * worker read what its credentials reach and send it on.
   */
  isStaged(url: string, key?: RegExp): boolean;
  readS3: S3ObjectReader;
  /** Set: staged reference videos and audio clips are sent as presigned links instead of inlined (SEEDANCE_MEDIA_DELIVERY). */
  presigned?: PresignedLinks;
}

/** Presigned links to staged objects, and a look at what a link would serve before it is sent. */
export interface PresignedLinks {
  /** A presigned GET URL of `s3://bucket/key`, valid `expiresSec`. */
  link(bucket: string, key: string, expiresSec: number): Promise<string>;
  /** The object's first `n` bytes and its size (one ranged GET); rejects as a read would for a missing object. */
  head(bucket: string, key: string, n: number, signal?: AbortSignal): Promise<{ first: Buffer; size: number }>;
}

/** The key staging gives an image: content-addressed under `inputs/`. */
export const STAGED_IMAGE_KEY = /^inputs\/[0-9a-f]{64}\.(jpg|png|webp|gif|bmp|tiff|img)$/;

/**
 * `isStaged` for a storage whose `urlOf(key)` names keys as URLs: a reference is staged when
 * it is exactly `urlOf(k)` for a key `k` of the staged shape.
 */
export function stagedImageMatcher(urlOf: (key: string) => string): (url: string, shape?: RegExp) => boolean {
  const probe = 'inputs/probe';
  const base = urlOf(probe).slice(0, -'probe'.length);
  return (url, shape = STAGED_IMAGE_KEY) => {
    if (!url.startsWith(base)) return false;
    const key = `inputs/${url.slice(base.length)}`;
    return shape.test(key) && urlOf(key) === url;
  };
}

/**
 * The image as a data URL, after its real header is parsed and its sides and aspect ratio
 * checked against the provider's limits: a file that only starts like an image is refused
 * here rather than inlined and paid for.
 */
export function toDataUrl(bytes: Buffer, source: string): string {
  const inspected = inspectImage(bytes);
  if (!inspected.ok) throw invalidRequest(`${source}: ${inspected.reason}`);
  return `data:${inspected.header.mime};base64,${bytes.toString('base64')}`;
}

/**
 * The provider-ready URL of one image: http(s) passes through, our references are read
 * (bounded in size and time, abortable) and inlined.
 */
export async function resolveImageUrl(ref: ImageRef, sources: ImageSources, signal?: AbortSignal): Promise<string> {
  if (/^https?:\/\//i.test(ref.url)) return ref.url;
  if (!sources.isStaged(ref.url)) {
    throw invalidRequest(
      `image reference ${JSON.stringify(ref.url.slice(0, 120))} is not an image staged into this worker's storage (inputs/<sha256>.<ext>); give an http(s) URL, or a local file through the CLI, which stages it`,
    );
  }
  const timeout = AbortSignal.timeout(IMAGE_READ_TIMEOUT_MS);
  const bounded = signal ? AbortSignal.any([signal, timeout]) : timeout;
  let bytes: Buffer;
  try {
    if (/^s3:\/\//i.test(ref.url)) {
      const m = /^s3:\/\/([^/]+)\/(.+)$/i.exec(ref.url);
      if (!m) throw invalidRequest(`bad s3 reference ${ref.url}`);
      bytes = await sources.readS3(m[1] as string, m[2] as string, MAX_IMAGE_BYTES, bounded);
    } else if (/^file:\/\//i.test(ref.url)) {
      bytes = await readBoundedFile(fileURLToPath(ref.url), MAX_IMAGE_BYTES);
    } else {
      throw invalidRequest(`image reference ${JSON.stringify(ref.url.slice(0, 80))} is not http(s), s3:// or file://`);
    }
  } catch (err) {
    throw classifyReadError(err, ref.url, signal, timeout);
  }
  return toDataUrl(bytes, ref.url);
}

/** A failed read of a staged input (`what`: image, video, audio) as the submit's failure: the input's fault, or the store's. */
export function classifyReadError(
  err: unknown,
  url: string,
  outer: AbortSignal | undefined,
  timeout: AbortSignal,
  what = 'image',
): unknown {
  if (err instanceof ApplicationFailure) return err;
  // The attempt itself was stopped (cancelled, or Temporal gave it up): let the caller say so.
  if (outer?.aborted) return outer.reason ?? err;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ObjectTooLargeError || err instanceof LocalFileError) return invalidRequest(`${what} ${url}: ${message}`);
  if (isObjectMissing(err)) return invalidRequest(`${what} ${url} does not exist (was it staged?)`);
  if (timeout.aborted) return storageUnavailable(`reading ${what} ${url} took over ${IMAGE_READ_TIMEOUT_MS / 1000} s`);
  return storageUnavailable(`cannot read ${what} ${url}: ${message}`);
}
