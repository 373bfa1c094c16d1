/**
 * Images a storyboard in storage names by path, checked and staged from storage itself: each
 * object is read once, front to back, through a bounded `openRead`, hashing every byte and
 * keeping only the header windows the parser asks for (at most 4 MiB), so no image is held
 * whole. Staging then streams it again into `inputs/<sha256>.<ext>` through the same verified
 * upload as the CLI's local files (storage/staged-images.ts).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { checkImageHeader, type LoadingByteSource } from '../../common/image-header';
import { formatBytes } from '../../common/byte-sizes';
import { isObjectMissing, ObjectTooLargeError, type StorageBackend } from '../../storage/backend';
import { KeyOutsideStorageError } from '../../storage/fs';
import { uploadStagedImage, type HashedImage } from '../../storage/staged-images';
import { MAX_IMAGE_BYTES } from '../seedance/images';

/** The parser's windows kept from one image at most (as the CLI's FileByteSource keeps). */
const MAX_KEPT_BYTES = 4 * 1024 * 1024;

/**
 * A stored object read once, in order: `load` moves forward through the stream, keeping the
 * window asked for and skipping (but hashing) the bytes before it. A window behind what was
 * read already is not available (`load` answers false); every image format's header is read
 * front to back from its first 64 KiB on.
 */
export class StreamByteSource implements LoadingByteSource {
  private readonly chunks: Array<{ offset: number; bytes: Buffer }> = [];
  private readonly hash = createHash('sha256');
  private readonly it: AsyncIterator<Buffer>;
  /** The unread rest of the last piece pulled. */
  private pending: { offset: number; bytes: Buffer } | undefined;
  private pulled = 0;
  private kept = 0;

  constructor(
    stream: Readable,
    readonly size: number,
  ) {
    this.it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  bytes(offset: number, length: number): Uint8Array | undefined {
    for (const c of this.chunks) {
      if (offset >= c.offset && offset + length <= c.offset + c.bytes.length)
        return c.bytes.subarray(offset - c.offset, offset - c.offset + length);
    }
    return undefined;
  }

  private async nextPiece(): Promise<{ offset: number; bytes: Buffer } | undefined> {
    if (this.pending) {
      const piece = this.pending;
      this.pending = undefined;
      return piece;
    }
    const next = await this.it.next();
    if (next.done) return undefined;
    const bytes = next.value;
    this.hash.update(bytes);
    const piece = { offset: this.pulled, bytes };
    this.pulled += bytes.length;
    return piece;
  }

  async load(offset: number, length: number, window = 4096): Promise<boolean> {
    const position = this.pending ? this.pending.offset : this.pulled;
    const want = Math.min(Math.max(length, window), this.size - offset);
    if (offset < position || this.kept + want > MAX_KEPT_BYTES) return false;
    const parts: Buffer[] = [];
    const end = offset + want;
    let at = offset;
    while (at < end) {
      const piece = await this.nextPiece();
      if (!piece) break;
      if (piece.offset + piece.bytes.length <= at) continue; // before the window: hashed, not kept
      const to = Math.min(piece.bytes.length, end - piece.offset);
      parts.push(piece.bytes.subarray(at - piece.offset, to));
      at = piece.offset + to;
      if (to < piece.bytes.length) this.pending = { offset: at, bytes: piece.bytes.subarray(to) };
    }
    const bytes = Buffer.concat(parts);
    this.kept += bytes.length;
    this.chunks.push({ offset, bytes });
    return bytes.length >= Math.min(length, this.size - offset);
  }

  /** Reads the rest; the sha256 and length of every byte the stream gave. */
  async finish(): Promise<{ sha256: string; bytes: number }> {
    this.pending = undefined;
    while (await this.nextPiece());
    return { sha256: this.hash.digest('hex'), bytes: this.pulled };
  }
}

/** Checks a stored image: a problem for people, or what staging needs. Throws only when storage cannot answer. */
export async function inspectStoredImage(
  storage: StorageBackend,
  key: string,
  signal?: AbortSignal,
): Promise<{ image: HashedImage } | { problem: string }> {
  const missing = { problem: 'no such object in storage' };
  let stream: Readable;
  let size: number;
  try {
    const info = await storage.stat(key);
    if (!info) return missing;
    if (info.bytes > MAX_IMAGE_BYTES) return { problem: tooLarge(info.bytes) };
    size = info.bytes;
    stream = await storage.openRead(key, { maxBytes: MAX_IMAGE_BYTES, ...(signal ? { signal } : {}) });
  } catch (err) {
    return readProblem(err);
  }
  const source = new StreamByteSource(stream, size);
  try {
    const checked = await checkImageHeader(source);
    if (!checked.ok) return { problem: checked.reason };
    const { sha256, bytes } = await source.finish();
    if (bytes !== size) return { problem: 'changed while it was being checked; hand the storyboard over again' };
    return { image: { sha256, bytes, header: checked.header } };
  } catch (err) {
    return readProblem(err);
  } finally {
    stream.destroy();
  }
}

/** Uploads a checked stored image into `inputs/<sha256>.<ext>` (once); the reference the workflow carries. */
export async function stageStoredImage(storage: StorageBackend, key: string, image: HashedImage): Promise<string> {
  return uploadStagedImage(storage, image, () => storage.openRead(key, { maxBytes: MAX_IMAGE_BYTES }), storage.urlOf(key));
}

function tooLarge(bytes: number): string {
  return `${bytes} bytes, over the provider's ${MAX_IMAGE_BYTES}-byte limit (${formatBytes(MAX_IMAGE_BYTES)})`;
}

/** A wrong reference is a problem of the storyboard; anything else is the store's, and is thrown (retried). */
export function readProblem(err: unknown, limit = `the provider's ${formatBytes(MAX_IMAGE_BYTES)}`): { problem: string } {
  if (isObjectMissing(err)) return { problem: 'no such object in storage' };
  if (err instanceof ObjectTooLargeError) return { problem: `over ${limit} limit` };
  if (err instanceof KeyOutsideStorageError) return { problem: err.message };
  throw err;
}
