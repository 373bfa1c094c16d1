/**
 * A render's last frame (the provider's `content.last_frame_url`, asked for with
 * `return_last_frame` when a later shot continues from this one) copied into storage: beside the
 * video for people (`<shot>.last-frame.<ext>`), and as a staged input (`inputs/<sha256>.<ext>`),
 * the one kind of storage reference the submit activity reads and inlines, so the later shot
 * submits exactly these bytes as its first frame.
 *
 * Copied before the video and named in the video's record: a record, once written, names a frame
 * that is there. A frame that is not a usable image (not an image, too large, sides the provider
 * refuses as a first frame) is reported as missing, and the video is still stored: it was paid for.
 */
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { IMAGE_EXTENSION, inspectImage } from '../../common/image-header';
import { lastFrameKey, type StoredFrame } from '../../common/continuity';
import type { StorageBackend } from '../../storage/backend';
import type { SafeFetcher } from '../net/safe-http';
import { MAX_IMAGE_BYTES } from '../seedance/images';

/** What the frame copy ended with: the stored frame, or why the render has none. */
export type FrameCopy = { frame: StoredFrame } | { missing: string };

/** Thrown for a download that failed on the way (retried with the copy), not for a bad frame. */
export class FrameDownloadError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'FrameDownloadError';
  }
}

/**
 * Downloads the frame at `url` (bounded by the provider's image limit), checks it is an image the
 * provider takes as a first frame, and stores it twice (see the module comment).
 */
export async function copyLastFrame(
  storage: StorageBackend,
  fetcher: SafeFetcher,
  url: string,
  videoKey: string,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<FrameCopy> {
  if (!/^https?:\/\//i.test(url)) return { missing: `the provider's last_frame_url is not an http(s) URL` };
  const res = await fetcher.open(url, { signal, timeoutMs });
  if (res.status < 200 || res.status >= 300) {
    res.body.destroy();
    // Gone (the link's signature expired) or refused: nothing a retry changes.
    if (res.status === 403 || res.status === 404 || res.status === 410)
      return { missing: `the provider's last frame answered HTTP ${res.status}` };
    throw new FrameDownloadError(`downloading the last frame answered HTTP ${res.status}`, res.status);
  }
  const bytes = await readBounded(res.body, MAX_IMAGE_BYTES);
  if (bytes === undefined) return { missing: `the last frame is over the provider's ${MAX_IMAGE_BYTES}-byte image limit` };
  const inspected = inspectImage(bytes);
  if (!inspected.ok) return { missing: `the last frame cannot be a first frame: ${inspected.reason}` };
  const { header } = inspected;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const extension = IMAGE_EXTENSION[header.format];
  const key = lastFrameKey(videoKey, extension);
  const inputKey = `inputs/${sha256}.${extension}`;
  const options = { contentType: header.mime, metadata: { sha256 }, signal };
  await storage.upload(inputKey, Readable.from([bytes]), options);
  await storage.upload(key, Readable.from([bytes]), options);
  return { frame: { key, url: storage.urlOf(key), sha256, bytes: bytes.length, inputUrl: storage.urlOf(inputKey) } };
}

/** The whole body, or undefined once it passes `maxBytes`; a body cut off on the way rejects (and is retried). */
async function readBounded(body: Readable, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buf.length;
    if (size > maxBytes) {
      body.destroy();
      return undefined;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}
