/**
 * Images (and reference videos and audio clips) staged into storage under a content-addressed
 * key, `inputs/<sha256>.<ext>`: the only inputs the worker reads back (activities/seedance/images.ts). Local files (the CLI,
 * client/stage.ts) and objects already in storage (a storyboard handed over as a file,
 * activities/storyboard/source.ts) are both hashed first and then uploaded as a stream
 * through {@link VerifyingStream}, so what lands under the key is exactly what was hashed.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { IMAGE_EXTENSION, type ImageHeader } from '../common/image-header';
import type { MediaHeader } from '../common/media-header';
import type { StorageBackend } from './backend';

/** Images staged at the same time (local files by the CLI, stored objects by the worker). */
export const IMAGE_STAGE_CONCURRENCY = 4;

/** The key of a staged image: `inputs/<sha256>.<ext>`. */
export function stagedImageKey(sha256: string, header: Pick<ImageHeader, 'format'>): string {
  return `inputs/${sha256}.${IMAGE_EXTENSION[header.format]}`;
}

/** Counts and hashes what passes; fails the stream when it differs from what was hashed before. */
export class VerifyingStream extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;
  constructor(
    private readonly expected: { sha256: string; bytes: number },
    private readonly name: string,
    /** The error a change is reported as (the CLI's ImageError, say). */
    private readonly changed: (message: string) => Error = (message) => new Error(message),
  ) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.expected.bytes) return done(this.changed(`${this.name}: changed while it was being staged (it grew)`));
    this.hash.update(chunk);
    done(null, chunk);
  }
  override _flush(done: TransformCallback): void {
    if (this.bytes !== this.expected.bytes || this.hash.digest('hex') !== this.expected.sha256) {
      return done(this.changed(`${this.name}: changed while it was being staged; stage it again`));
    }
    done();
  }
}

export interface HashedImage {
  sha256: string;
  bytes: number;
  header: ImageHeader;
}

/**
 * Uploads an image once: when `inputs/<sha256>.<ext>` is not there yet (or has another
 * size), `open()` streams it again and the upload goes through a {@link VerifyingStream}.
 * Returns the reference the workflow carries (`storage.urlOf(key)`).
 */
export async function uploadStagedImage(
  storage: StorageBackend,
  image: HashedImage,
  open: () => Promise<Readable>,
  name: string,
  changed?: (message: string) => Error,
): Promise<string> {
  const key = stagedImageKey(image.sha256, image.header);
  return uploadStagedObject(storage, key, { ...image, mime: image.header.mime }, open, name, changed);
}

/** A reference video or audio clip hashed for staging (common/media-header.ts). */
export interface HashedMedia {
  sha256: string;
  bytes: number;
  header: MediaHeader;
}

/** The key of a staged reference video or audio clip: `inputs/<sha256>.<ext>`, beside the images. */
export function stagedMediaKey(sha256: string, header: Pick<MediaHeader, 'ext'>): string {
  return `inputs/${sha256}.${header.ext}`;
}

/** {@link uploadStagedImage} for a reference video or audio clip. */
export async function uploadStagedMedia(
  storage: StorageBackend,
  media: HashedMedia,
  open: () => Promise<Readable>,
  name: string,
  changed?: (message: string) => Error,
): Promise<string> {
  return uploadStagedObject(
    storage,
    stagedMediaKey(media.sha256, media.header),
    { ...media, mime: media.header.mime },
    open,
    name,
    changed,
  );
}

async function uploadStagedObject(
  storage: StorageBackend,
  key: string,
  object: { sha256: string; bytes: number; mime: string },
  open: () => Promise<Readable>,
  name: string,
  changed?: (message: string) => Error,
): Promise<string> {
  const existing = await storage.stat(key);
  if (!existing || existing.bytes !== object.bytes) {
    const reader = await open();
    const body = new VerifyingStream({ sha256: object.sha256, bytes: object.bytes }, name, changed);
    reader.on('error', (err) => body.destroy(err));
    reader.pipe(body);
    try {
      await storage.upload(key, body, { contentType: object.mime, metadata: { sha256: object.sha256 } });
    } finally {
      reader.unpipe(body);
      reader.destroy();
    }
  }
  return storage.urlOf(key);
}
