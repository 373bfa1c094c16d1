/**
 * Local images are staged into the configured storage under a content-addressed key, so the
 * workflow carries only a reference and any worker (on any machine) can read it back.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { MAX_IMAGE_BYTES, sniffImageType } from '../activities/seedance/images';
import type { StorageBackend } from '../activities/storage/backend';
import { readLocalFile } from '../activities/storage/fs';

export class ImageError extends Error {}

const EXT: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/bmp': 'bmp',
  'image/tiff': 'tiff',
};

/** Checks a local image (readable, under 30 MB, a format the provider takes) and returns its bytes. */
export async function readCheckedImage(file: string): Promise<{ bytes: Buffer; mime: string }> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    throw new ImageError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (size > MAX_IMAGE_BYTES) throw new ImageError(`${file}: ${size} bytes, over the provider's 30 MB limit`);
  const bytes = await readLocalFile(file, MAX_IMAGE_BYTES);
  const mime = sniffImageType(bytes);
  if (!mime) throw new ImageError(`${file}: not a jpeg, png, webp, bmp, tiff or gif image`);
  return { bytes, mime };
}

/** Uploads a local image once (content-addressed) and returns the reference for the workflow. */
export async function stageImage(storage: StorageBackend, file: string): Promise<string> {
  const { bytes, mime } = await readCheckedImage(path.resolve(file));
  const digest = createHash('sha256').update(bytes).digest('hex');
  const key = `inputs/${digest}.${EXT[mime] ?? 'img'}`;
  const existing = await storage.stat(key);
  if (!existing || existing.bytes !== bytes.length) {
    await storage.upload(key, createReadStream(path.resolve(file)), { contentType: mime, metadata: { sha256: digest } });
  }
  return storage.urlOf(key);
}

/** http(s) URLs pass through; anything else is a local path to stage. */
export async function toImageReference(storage: StorageBackend, pathOrUrl: string): Promise<string> {
  if (/^https?:\/\//i.test(pathOrUrl)) return pathOrUrl;
  return stageImage(storage, pathOrUrl.startsWith('file://') ? new URL(pathOrUrl).pathname : pathOrUrl);
}
