/**
 * copyToStorage: streams a provider output URL into object storage before the ~24 h link
 * dies. Constant memory (stream → hash/count → multipart upload), sha256 and byte count,
 * heartbeats with progress, and idempotent: a re-run that finds the finished object skips.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import axios from 'axios';
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { FailureType, failure } from '../../common/errors';
import type { StoredObject, Usage } from '../../common/render';
import { createSafeFetcher, FetchRefused, readPrefix, type FetchPolicy, type SafeResponse } from '../net/safe-http';
import { fromAxiosError, fromHttpAnswer } from '../seedance/provider-error';
import { whileHeartbeating } from '../heartbeat';
import { countMetric } from '../metrics';
import type { StorageBackend } from '../../storage/backend';
import type { ParentRef } from '../../common/phase-events';
import type { PhaseRelay } from '../phase-relay';
import type { StoredFrame } from '../../common/continuity';
import { copyLastFrame, FrameDownloadError, type FrameCopy } from './last-frame';

export interface CopyToStorageInput {
  url: string;
  /** Deterministic key, relative to the storage root. */
  key: string;
  taskId: string;
  model: string;
  prompt: string;
  seed?: number;
  usage?: Usage;
  /**
   * Set when the shot asked for its last frame (later shots continue from it): the provider's
   * `last_frame_url`, or nothing when it gave none. Copied with the video (./last-frame.ts).
   */
  lastFrame?: { url?: string };
}

export interface CopyDeps {
  storage: StorageBackend;
  /** Refuse outputs larger than this (bytes). */
  maxBytes: number;
  /** Connect/first-byte timeout; the body itself may take as long as the activity allows. */
  connectTimeoutMs?: number;
  /** How often to heartbeat progress. */
  heartbeatIntervalMs?: number;
  /** A transfer that moves no bytes for this long is ended and retried. */
  stallTimeoutMs?: number;
  /** Tells storyboards their shots' phases; absent, nothing is reported. */
  phases?: PhaseRelay;
  /**
   * Which addresses the download may reach (SEEDANCE_ALLOW_PRIVATE_NETWORK,
   * SEEDANCE_FETCH_ALLOW_HOSTS); absent: public addresses only, as in production.
   */
  fetchPolicy?: FetchPolicy;
  /** Removes secrets (the API key) from what a download's error answer says. */
  redact?: (text: string) => string;
}

/** How much of a download's error answer is read for its message (the rest is never read). */
export const DOWNLOAD_ERROR_PREFIX_BYTES = 4096;

/** Written beside each video after its upload completes: its presence means "done". */
export interface VideoRecord {
  sha256: string;
  bytes: number;
  taskId: string;
  model: string;
  seed?: number;
  promptSha256: string;
  usage?: Usage;
  storedAt: string;
  /** The last frame, stored before the video (./last-frame.ts), when it was asked for. */
  lastFrame?: StoredFrame;
  /** Why a last frame that was asked for is not there. */
  lastFrameMissing?: string;
}

/**
 * Where the completion record of the video at `key` lives: `<dir>/.state/<name>.json`, with
 * the rest of the bookkeeping, so the folder people open shows the videos.
 */
export function recordKey(key: string): string {
  const slash = key.lastIndexOf('/');
  return `${key.slice(0, slash + 1)}.state/${key.slice(slash + 1)}.json`;
}

/** Where runs before `.state/` wrote it, beside the video: `<key>.json`. Still read, never written. */
export function legacyRecordKey(key: string): string {
  return `${key}.json`;
}

/** Counts and hashes bytes as they pass, and stops the stream once it exceeds the limit. */
export class HashCounter extends Transform {
  readonly hash = createHash('sha256');
  bytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onProgress: (bytes: number) => void,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) {
      done(tooLarge(this.bytes, this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    this.onProgress(this.bytes);
    done(null, chunk);
  }
}

function tooLarge(bytes: number, max: number): ApplicationFailure {
  return failure(FailureType.OutputTooLarge, `output is at least ${bytes} bytes, over the ${max}-byte limit (COPY_MAX_BYTES)`);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Builds the copyToStorage activity around its dependencies. */
export function createCopyActivity(deps: CopyDeps) {
  const { storage, maxBytes } = deps;
  const heartbeatEvery = deps.heartbeatIntervalMs ?? 2000;
  const stallMs = deps.stallTimeoutMs ?? 120_000;
  const fetcher = createSafeFetcher(deps.fetchPolicy);
  const redact = deps.redact ?? ((text: string) => text);

  /** Streams the provider's output into storage, or returns the object a previous run stored. */
  async function copyToStorage(input: CopyToStorageInput, parent?: ParentRef): Promise<StoredObject> {
    const ctx = Context.current();
    deps.phases?.fromActivity(parent, 'copying', input.taskId);
    if (!/^https?:\/\//i.test(input.url)) {
      throw failure(
        FailureType.InvalidOutputUrl,
        `refusing to fetch ${JSON.stringify(input.url.slice(0, 40))} for task ${input.taskId}: only http(s) URLs`,
      );
    }

    const existing = await findStored(storage, input.key);
    if (existing) {
      ctx.log.info('video already stored; skipping copy', { key: input.key, taskId: input.taskId });
      return existing;
    }

    const controller = new AbortController();
    const onCancel = () => controller.abort();
    ctx.cancellationSignal.addEventListener('abort', onCancel, { once: true });
    // Beats on a timer, not on bytes: while both multipart parts upload, no bytes move for a
    // while, and a short heartbeat timeout must only ever mean "this worker is gone". A
    // transfer that stops moving is ended by the stall watchdog instead, and retried.
    let copied = 0;
    let movedAt = Date.now();
    let stalled: ApplicationFailure | undefined;
    const watchdog = setInterval(
      () => {
        if (Date.now() - movedAt < stallMs) return;
        stalled = failure(
          FailureType.RequestTimedOut,
          `the copy of ${input.taskId} moved no bytes for ${Math.round(stallMs / 1000)} s (at ${copied} bytes)`,
          { type: FailureType.RequestTimedOut, taskId: input.taskId },
        );
        controller.abort(stalled);
      },
      Math.min(stallMs, 1000),
    );
    watchdog.unref();
    try {
      // The frame first: a record, once written, names a frame that is there.
      const frame = input.lastFrame ? await whileHeartbeating(() => copyFrame(input, controller.signal)) : undefined;
      const counter = await whileHeartbeating(
        async () => {
          const body = await openDownload(input, controller.signal);
          const hashing = new HashCounter(maxBytes, (bytes) => {
            copied = bytes;
            movedAt = Date.now();
          });
          body.on('error', (err) => hashing.destroy(err));
          body.pipe(hashing);
          await storage.upload(input.key, hashing, {
            contentType: 'video/mp4',
            metadata: objectMetadata(input),
            signal: controller.signal,
          });
          return hashing;
        },
        () => ({ bytesCopied: copied }),
        heartbeatEvery,
      );
      const record: VideoRecord = {
        sha256: counter.hash.digest('hex'),
        bytes: counter.bytes,
        taskId: input.taskId,
        model: input.model,
        ...(input.seed !== undefined ? { seed: input.seed } : {}),
        promptSha256: sha256Hex(input.prompt),
        ...(input.usage ? { usage: input.usage } : {}),
        storedAt: new Date().toISOString(),
        ...(frame && 'frame' in frame ? { lastFrame: frame.frame } : {}),
        ...(frame && 'missing' in frame ? { lastFrameMissing: frame.missing } : {}),
      };
      await storage.writeText(recordKey(input.key), JSON.stringify(record, null, 2), 'application/json');
      ctx.heartbeat({ bytesCopied: counter.bytes, done: true });
      countMetric('seedance_bytes_copied', counter.bytes, {}, 'bytes of video copied into storage');
      countMetric('seedance_videos_stored', 1, {}, 'videos copied into storage');
      return { ...storedObject(storage, input.key, record), skipped: false };
    } catch (err) {
      throw stalled ?? asCopyFailure(err, input.taskId);
    } finally {
      clearInterval(watchdog);
      ctx.cancellationSignal.removeEventListener('abort', onCancel);
    }
  }

  async function copyFrame(input: CopyToStorageInput, signal: AbortSignal): Promise<FrameCopy> {
    const url = input.lastFrame?.url;
    if (url === undefined) return { missing: 'the provider returned no last_frame_url' };
    try {
      return await copyLastFrame(storage, fetcher, url, input.key, signal, deps.connectTimeoutMs ?? 30_000);
    } catch (err) {
      if (err instanceof FetchRefused) throw refusedUrl(err, input.taskId);
      if (err instanceof FrameDownloadError)
        throw fromHttpAnswer({ status: err.status, headers: {}, data: err.message }, 'download', input.taskId).toApplicationFailure();
      // A download that failed on the way, not a storage write (the copy's own catch types those).
      if (axios.isAxiosError(err)) throw fromAxiosError(err, 'download', input.taskId).toApplicationFailure();
      throw err;
    }
  }

  async function openDownload(input: CopyToStorageInput, signal: AbortSignal): Promise<Readable> {
    let res: SafeResponse;
    try {
      // Connect/first-byte timeout per hop; every hop is checked against the fetch policy.
      res = await fetcher.open(input.url, { signal, timeoutMs: deps.connectTimeoutMs ?? 30_000 });
    } catch (err) {
      if (err instanceof FetchRefused) throw refusedUrl(err, input.taskId);
      if (err instanceof ApplicationFailure) throw err;
      throw fromAxiosError(err, 'download', input.taskId).toApplicationFailure();
    }
    if (res.status < 200 || res.status >= 300) {
      // The error body is a stream: read only its start, so the message shows what the
      // server said (not `[object Object]`) without reading a hostile body to its end.
      const prefix = await readPrefix(res.body, DOWNLOAD_ERROR_PREFIX_BYTES);
      const data = redact(prefix.toString('utf8'));
      throw fromHttpAnswer(
        { status: res.status, headers: res.headers as Record<string, unknown>, data },
        'download',
        input.taskId,
      ).toApplicationFailure();
    }
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      res.body.destroy();
      throw tooLarge(declared, maxBytes);
    }
    return res.body;
  }

  return { copyToStorage };
}

/** The earlier run's object and its record, if that run finished: the record matches the object's size. */
export async function readVideoRecord(storage: StorageBackend, key: string): Promise<{ record: VideoRecord; stored: StoredObject } | null> {
  const [info, recordText] = await Promise.all([
    storage.stat(key),
    storage.readText(recordKey(key)).then(async (text) => text ?? storage.readText(legacyRecordKey(key))),
  ]);
  if (!info || !recordText) return null;
  const record = JSON.parse(recordText) as VideoRecord;
  if (record.bytes !== info.bytes) return null;
  return { record, stored: { ...storedObject(storage, key, record), skipped: true } };
}

/** The stored video (and its last frame, or why it has none) as a render's result names it. */
function storedObject(storage: StorageBackend, key: string, record: VideoRecord): Omit<StoredObject, 'skipped'> {
  return {
    key,
    url: storage.urlOf(key),
    sha256: record.sha256,
    bytes: record.bytes,
    ...(record.lastFrame ? { lastFrame: record.lastFrame } : {}),
    ...(record.lastFrameMissing ? { lastFrameMissing: record.lastFrameMissing } : {}),
  };
}

async function findStored(storage: StorageBackend, key: string): Promise<StoredObject | null> {
  return (await readVideoRecord(storage, key))?.stored ?? null;
}

function objectMetadata(input: CopyToStorageInput): Record<string, string> {
  const meta: Record<string, string> = {
    'task-id': input.taskId,
    model: input.model,
    'prompt-sha256': sha256Hex(input.prompt),
  };
  if (input.seed !== undefined) meta.seed = String(input.seed);
  if (input.usage?.totalTokens !== undefined) meta['usage-total-tokens'] = String(input.usage.totalTokens);
  if (input.usage?.completionTokens !== undefined) meta['usage-completion-tokens'] = String(input.usage.completionTokens);
  return meta;
}

/** A URL the fetch policy refused: UnsafeOutputUrl (it leads inside) or InvalidOutputUrl. */
function refusedUrl(err: FetchRefused, taskId: string): ApplicationFailure {
  const type = err.kind === 'unsafe' ? FailureType.UnsafeOutputUrl : FailureType.InvalidOutputUrl;
  return failure(type, `the output of task ${taskId}: ${err.message}`, { type, taskId });
}

function asCopyFailure(err: unknown, taskId: string): Error {
  if (err instanceof ApplicationFailure) return err;
  if (axios.isAxiosError(err)) return fromAxiosError(err, 'download', taskId).toApplicationFailure();
  if ((err as { name?: string }).name === 'AbortError') return err as Error;
  const message = err instanceof Error ? err.message : String(err);
  if ((err as { name?: string }).name === 'KeyOutsideStorageError') {
    const type = FailureType.KeyOutsideStorage;
    return failure(type, `copying the output of ${taskId}: ${message}`, { type, taskId });
  }
  const type = FailureType.StorageError;
  return failure(type, `copying the output of ${taskId} failed: ${message}`, { type, taskId });
}
