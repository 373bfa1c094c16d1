/**
 * Reference videos and audio clips (Seedance 2.0) reach the provider as URLs it fetches or as
 * base64 data URLs; http(s) URLs from the storyboard pass through untouched. Our own staged
 * references (`inputs/<sha256>.<ext>`, checked by content when staged) are handed over in one
 * of two ways (SEEDANCE_MEDIA_DELIVERY), decided here while a submit is prepared, so neither
 * bytes nor links ever enter workflow history:
 *
 * - `presigned` (the default on S3 storage): a presigned GET URL of the object (after a ranged
 *   read of its first bytes shows it is there and of its kind), valid as long
 *   as the task may wait in the provider's queue (its `execution_expires_after`, 48 h by
 *   default, plus a margin). BytePlus documents Seedance 2.0 reference media as publicly
 *   reachable URLs (its tutorial recommends public-read object storage; resellers add "do not
 *   use Base64"), and a 30 MiB video as base64 would take most of the 64 MB request. Works
 *   against the real provider once the S3 endpoint is reachable from it
 *   (SEEDANCE_MEDIA_PRESIGN_ENDPOINT when the workers reach it by another name), and against
 *   the simulator, which accepts any http(s) URL. A link signed with session credentials (an
 *   instance role) dies with the session: use long-lived keys for the presigner then.
 * - `inline` (the default on filesystem storage, which has no URLs): the object is read
 *   (bounded in size and time), its type checked again by content, and sent as a data URL.
 *   Nothing to reach from outside and nothing to expire; the cost is the request body,
 *   bounded per file (MAX_MEDIA_BYTES) and per request with the images (MAX_INLINE_IMAGE_BYTES).
 */
import { fileURLToPath } from 'node:url';
import {
  checkMediaHeader,
  MAX_MEDIA_BYTES,
  MEDIA_EXTENSIONS,
  MEDIA_SNIFF_BYTES,
  mediaSizeProblem,
  type MediaKind,
} from '../../common/media-header';
import type { MediaRef } from '../../common/shot';
import { readBoundedFile } from '../../storage/local-file';
import { classifyReadError, IMAGE_READ_TIMEOUT_MS, type ImageSources, type PresignedLinks } from './images';
import { invalidRequest, storageUnavailable } from './submit-failures';

/**
 * A presigned link outlives the longest the task may wait in the provider's queue (its
 * `execution_expires_after`, default 48 h: docs/provider/notes.md "Statuses") plus an hour.
 */
export function linkSecondsFor(executionExpiresAfter: number | undefined): number {
  return (executionExpiresAfter ?? 48 * 3600) + 3600;
}

/** The key staging gives a reference video or audio clip: content-addressed under `inputs/`. */
export const STAGED_MEDIA_KEY = new RegExp(`^inputs/[0-9a-f]{64}\\.(${MEDIA_EXTENSIONS.join('|')})$`);

/** The reference as a data URL, after its first bytes say it is a `kind` the provider takes. */
export function mediaDataUrl(bytes: Buffer, kind: MediaKind, source: string): string {
  const checked = checkMediaHeader(kind, bytes.subarray(0, MEDIA_SNIFF_BYTES));
  if (!checked.ok) throw invalidRequest(`${source}: ${checked.reason}`);
  return `data:${checked.header.mime};base64,${bytes.toString('base64')}`;
}

/**
 * A link to a staged object, after one ranged read shows it is there, within its size limit
 * and of its kind by content: what the provider will fetch is what the storyboard was checked
 * for, and a missing object is refused before anything is paid.
 */
async function presignedLink(
  links: PresignedLinks,
  bucket: string,
  key: string,
  url: string,
  kind: MediaKind,
  linkSeconds: number,
  abort: { signal: AbortSignal | undefined; timeout: AbortSignal; bounded: AbortSignal },
): Promise<string> {
  let head: { first: Buffer; size: number };
  try {
    head = await links.head(bucket, key, MEDIA_SNIFF_BYTES, abort.bounded);
  } catch (err) {
    throw classifyReadError(err, url, abort.signal, abort.timeout, kind);
  }
  const tooLarge = mediaSizeProblem(kind, head.size);
  if (tooLarge) throw invalidRequest(`${url}: ${tooLarge}`);
  const checked = checkMediaHeader(kind, head.first);
  if (!checked.ok) throw invalidRequest(`${url}: ${checked.reason}`);
  try {
    return await links.link(bucket, key, linkSeconds);
  } catch (err) {
    // Credentials that cannot be resolved right now: the store's problem, retried.
    throw storageUnavailable(`cannot sign a link to ${kind} ${url}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * The provider-ready URL of one reference video or audio clip: http(s) passes through; a
 * reference staged into this worker's storage becomes a presigned link valid `linkSeconds`
 * (when `sources.presignS3` is set) or is read (bounded in size and time, abortable) and
 * inlined; anything else is refused (a workflow input must not make the worker read or sign
 * what its credentials reach and send it on).
 */
export async function resolveMediaUrl(
  ref: MediaRef,
  kind: MediaKind,
  sources: ImageSources,
  signal?: AbortSignal,
  linkSeconds = linkSecondsFor(undefined),
): Promise<string> {
  if (/^https?:\/\//i.test(ref.url)) return ref.url;
  if (!sources.isStaged(ref.url, STAGED_MEDIA_KEY)) {
    throw invalidRequest(
      `${kind} reference ${JSON.stringify(ref.url.slice(0, 120))} is not a file staged into this worker's storage (inputs/<sha256>.<ext>); give an http(s) URL, or a path in a storyboard, which is staged`,
    );
  }
  const s3 = /^s3:\/\/([^/]+)\/(.+)$/i.exec(ref.url);
  const timeout = AbortSignal.timeout(IMAGE_READ_TIMEOUT_MS);
  const bounded = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const max = MAX_MEDIA_BYTES[kind];
  if (s3 && sources.presigned)
    return presignedLink(sources.presigned, s3[1] as string, s3[2] as string, ref.url, kind, linkSeconds, { signal, timeout, bounded });
  let bytes: Buffer;
  try {
    if (s3) bytes = await sources.readS3(s3[1] as string, s3[2] as string, max, bounded);
    else if (/^file:\/\//i.test(ref.url)) bytes = await readBoundedFile(fileURLToPath(ref.url), max);
    else throw invalidRequest(`${kind} reference ${JSON.stringify(ref.url.slice(0, 80))} is not http(s), s3:// or file://`);
  } catch (err) {
    throw classifyReadError(err, ref.url, signal, timeout, kind);
  }
  return mediaDataUrl(bytes, kind, ref.url);
}
