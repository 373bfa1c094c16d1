/**
 * Reference videos and audio clips a storyboard in storage names by path, checked and staged
 * from storage itself as its images are (stored-images.ts): one bounded read front to back,
 * hashing every byte and keeping only the first bytes that decide the type; staging streams it
 * again through the verified upload into `inputs/<sha256>.<ext>`.
 */
import type { Readable } from 'node:stream';
import { formatBytes } from '../../common/byte-sizes';
import { checkMediaHeader, MAX_MEDIA_BYTES, MEDIA_SNIFF_BYTES, mediaSizeProblem, type MediaKind } from '../../common/media-header';
import type { StorageBackend } from '../../storage/backend';
import { uploadStagedMedia, type HashedMedia } from '../../storage/staged-images';
import { readProblem, StreamByteSource } from './stored-images';

/** Checks a stored reference video or audio clip: a problem for people, or what staging needs. Throws only when storage cannot answer. */
export async function inspectStoredMedia(
  storage: StorageBackend,
  key: string,
  kind: MediaKind,
  signal?: AbortSignal,
): Promise<{ media: HashedMedia } | { problem: string }> {
  const max = MAX_MEDIA_BYTES[kind];
  const limit = `a reference ${kind}'s ${formatBytes(max)}`;
  let stream: Readable;
  let size: number;
  try {
    const info = await storage.stat(key);
    if (!info) return { problem: 'no such object in storage' };
    const tooLarge = mediaSizeProblem(kind, info.bytes);
    if (tooLarge) return { problem: tooLarge };
    size = info.bytes;
    stream = await storage.openRead(key, { maxBytes: max, ...(signal ? { signal } : {}) });
  } catch (err) {
    return readProblem(err, limit);
  }
  const source = new StreamByteSource(stream, size);
  try {
    await source.load(0, Math.min(MEDIA_SNIFF_BYTES, size), MEDIA_SNIFF_BYTES);
    const checked = checkMediaHeader(kind, source.bytes(0, Math.min(MEDIA_SNIFF_BYTES, size)) ?? new Uint8Array());
    if (!checked.ok) return { problem: checked.reason };
    const { sha256, bytes } = await source.finish();
    if (bytes !== size) return { problem: 'changed while it was being checked; hand the storyboard over again' };
    return { media: { sha256, bytes, header: checked.header } };
  } catch (err) {
    return readProblem(err, limit);
  } finally {
    stream.destroy();
  }
}

/** Uploads a checked stored reference into `inputs/<sha256>.<ext>` (once); the reference the workflow carries. */
export async function stageStoredMedia(storage: StorageBackend, key: string, media: HashedMedia): Promise<string> {
  return uploadStagedMedia(
    storage,
    media,
    () => storage.openRead(key, { maxBytes: MAX_MEDIA_BYTES[media.header.kind] }),
    storage.urlOf(key),
  );
}
