/**
 * Local images are staged into the configured storage under a content-addressed key, so the
 * workflow carries only a reference and any worker (on any machine) can read it back.
 *
 * Nothing here holds an image in memory: checking reads the header (a few KiB), staging
 * hashes the file as a stream and uploads it as a stream, from the same open handle, and
 * refuses the upload if the file changed between the two.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MAX_IMAGE_BYTES } from '../activities/seedance/images';
import type { StorageBackend } from '../storage/backend';
import { checkImageHeader, type ImageHeader } from '../common/image-header';
import { normalizeHttpUrl, urlScheme } from '../common/storyboard';
import { FileByteSource, LocalFileError, openRegularFile, readAt } from '../storage/local-file';
import { uploadStagedImage } from '../storage/staged-images';

export class ImageError extends Error {}

/** Reads while hashing a staged image. */
const HASH_CHUNK_BYTES = 1024 * 1024;

export interface CheckedImage {
  /** Bytes of the file. */
  size: number;
  header: ImageHeader;
}

/** Wraps file errors as ImageError (the CLI reports those as bad input, exit 2). */
async function asImageError<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof LocalFileError) throw new ImageError(err.message);
    throw err;
  }
}

/** The header of an open image file, read in small windows; ImageError when it is not an image the provider takes. */
async function checkOpenImage(handle: FileHandle, size: number, file: string): Promise<ImageHeader> {
  const result = await checkImageHeader(new FileByteSource(handle, size));
  if (!result.ok) throw new ImageError(`${file}: ${result.reason}`);
  return result.header;
}

/**
 * Checks a local image (a regular file, under 30 MB, a real header of a format the provider
 * takes, sides and aspect ratio within its limits). Keeps no bytes.
 */
export async function checkImageFile(file: string): Promise<CheckedImage> {
  return asImageError(async () => {
    const { handle, size } = await openRegularFile(file, MAX_IMAGE_BYTES, "the provider's");
    try {
      return { size, header: await checkOpenImage(handle, size, file) };
    } finally {
      await handle.close();
    }
  });
}

/** The sha256 of an open file's `size` bytes, read a chunk at a time (images and reference media alike). */
export async function sha256Of(handle: FileHandle, size: number): Promise<string> {
  const hash = createHash('sha256');
  for (let at = 0; at < size;) {
    const chunk = await readAt(handle, at, Math.min(HASH_CHUNK_BYTES, size - at));
    if (chunk.length === 0) break;
    hash.update(chunk);
    at += chunk.length;
  }
  return hash.digest('hex');
}

/** Uploads a local image once (content-addressed) and returns the reference for the workflow. */
export async function stageImage(storage: StorageBackend, file: string): Promise<string> {
  const abs = path.resolve(file);
  return asImageError(async () => {
    const { handle, size } = await openRegularFile(abs, MAX_IMAGE_BYTES, "the provider's");
    try {
      const header = await checkOpenImage(handle, size, abs);
      const sha256 = await sha256Of(handle, size);
      const open = async () => handle.createReadStream({ start: 0, autoClose: false });
      return await uploadStagedImage(storage, { sha256, bytes: size, header }, open, abs, (message) => new ImageError(message));
    } finally {
      await handle.close();
    }
  });
}

/**
 * http(s) URLs pass through (scheme in lower case); `file://` URLs and plain paths are local
 * files to stage; any other scheme is refused.
 */
export async function toImageReference(storage: StorageBackend, pathOrUrl: string): Promise<string> {
  const scheme = urlScheme(pathOrUrl);
  if (scheme === 'http' || scheme === 'https') {
    const url = normalizeHttpUrl(pathOrUrl);
    if (!url.ok) throw new ImageError(url.problem);
    return url.url;
  }
  if (scheme === 'file') {
    let file: string;
    try {
      file = fileURLToPath(`file:${pathOrUrl.slice(pathOrUrl.indexOf(':') + 1)}`);
    } catch (err) {
      throw new ImageError(`${pathOrUrl.slice(0, 200)}: not a usable file:// URL (${(err as Error).message})`);
    }
    return stageImage(storage, file);
  }
  if (scheme !== undefined && scheme.length > 1) {
    throw new ImageError(`${pathOrUrl.slice(0, 200)}: an image is a local path or an http(s) URL, not ${scheme}:`);
  }
  return stageImage(storage, pathOrUrl);
}
