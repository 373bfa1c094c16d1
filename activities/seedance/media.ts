/**
 * Reference videos and audio clips (Seedance 2.0) reach the provider as URLs it fetches or as
 * base64 data URLs. Our own references (`s3://`, `file://`, staged as `inputs/<sha256>.<ext>`)
 * are read here, while a submit is prepared, their type checked again by content, and inlined:
 * the bytes live only in this attempt's memory and the request, never in workflow history.
 *
 * Why inline rather than a presigned GET URL of our storage: it works against the simulator
 * and against a real provider with nothing more to configure, whatever the storage (the
 * filesystem backend has no URLs; a MinIO behind a firewall is not reachable by the provider),
 * and nothing can expire while a task waits in the provider's queue (up to 48-72 h, while a
 * presigned URL lives at most 7 days and, signed with role or session credentials, only as
 * long as the session: often an hour or a few). The cost is the request body, which the
 * provider caps at 64 MB: a staged file is bounded per kind (MAX_MEDIA_BYTES, 30 MiB of video),
 * and a shot's inlined images, videos and audio together by the request budget
 * (MAX_INLINE_IMAGE_BYTES in activities.ts). Larger media go by `url`, hosted where the
 * provider can fetch them; http(s) URLs pass through untouched.
 */
import { fileURLToPath } from 'node:url';
import { checkMediaHeader, MAX_MEDIA_BYTES, MEDIA_EXTENSIONS, MEDIA_SNIFF_BYTES, type MediaKind } from '../../common/media-header';
import type { MediaRef } from '../../common/shot';
import { readBoundedFile } from '../../storage/local-file';
import { classifyReadError, IMAGE_READ_TIMEOUT_MS, type ImageSources } from './images';
import { invalidRequest } from './submit-failures';

/** The key staging gives a reference video or audio clip: content-addressed under `inputs/`. */
export const STAGED_MEDIA_KEY = new RegExp(`^inputs/[0-9a-f]{64}\\.(${MEDIA_EXTENSIONS.join('|')})$`);

/** The reference as a data URL, after its first bytes say it is a `kind` the provider takes. */
export function mediaDataUrl(bytes: Buffer, kind: MediaKind, source: string): string {
  const checked = checkMediaHeader(kind, bytes.subarray(0, MEDIA_SNIFF_BYTES));
  if (!checked.ok) throw invalidRequest(`${source}: ${checked.reason}`);
  return `data:${checked.header.mime};base64,${bytes.toString('base64')}`;
}

/**
 * The provider-ready URL of one reference video or audio clip: http(s) passes through; a
 * reference staged into this worker's storage is read (bounded in size and time, abortable)
 * and inlined; anything else is refused (a workflow input must not make the worker read what
 * its credentials reach and send it on).
 */
export async function resolveMediaUrl(ref: MediaRef, kind: MediaKind, sources: ImageSources, signal?: AbortSignal): Promise<string> {
  if (/^https?:\/\//i.test(ref.url)) return ref.url;
  if (!sources.isStaged(ref.url, STAGED_MEDIA_KEY)) {
    throw invalidRequest(
      `${kind} reference ${JSON.stringify(ref.url.slice(0, 120))} is not a file staged into this worker's storage (inputs/<sha256>.<ext>); give an http(s) URL, or a path in a storyboard, which is staged`,
    );
  }
  const timeout = AbortSignal.timeout(IMAGE_READ_TIMEOUT_MS);
  const bounded = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const max = MAX_MEDIA_BYTES[kind];
  let bytes: Buffer;
  try {
    const s3 = /^s3:\/\/([^/]+)\/(.+)$/i.exec(ref.url);
    if (s3) bytes = await sources.readS3(s3[1] as string, s3[2] as string, max, bounded);
    else if (/^file:\/\//i.test(ref.url)) bytes = await readBoundedFile(fileURLToPath(ref.url), max);
    else throw invalidRequest(`${kind} reference ${JSON.stringify(ref.url.slice(0, 80))} is not http(s), s3:// or file://`);
  } catch (err) {
    throw classifyReadError(err, ref.url, signal, timeout, kind);
  }
  return mediaDataUrl(bytes, kind, ref.url);
}
