/**
 * Images staged into storage under a content-addressed key, `inputs/<sha256>.<ext>`: the
 * only images the worker reads back (activities/seedance/images.ts). Local files (the CLI,
 * client/stage.ts) and objects already in storage (a storyboard handed over as a file,
 * activities/storyboard/source.ts) are both hashed first and then uploaded as a stream
 * through {@link VerifyingStream}, so what lands under the key is exactly what was hashed.
 */
import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { IMAGE_EXTENSION, type ImageHeader } from '../common/image-header';
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
  const existing = await storage.stat(key);
  if (!existing || existing.bytes !== image.bytes) {
    const reader = await open();
    const body = new VerifyingStream({ sha256: image.sha256, bytes: image.bytes }, name, changed);
    reader.on('error', (err) => body.destroy(err));
    reader.pipe(body);
    try {
      await storage.upload(key, body, { contentType: image.header.mime, metadata: { sha256: image.sha256 } });
    } finally {
      reader.unpipe(body);
      reader.destroy();
    }
  }
  return storage.urlOf(key);
}
