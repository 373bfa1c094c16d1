/**
 * Images reach the provider as URLs it can fetch or as data URLs. Our own references
 * (`s3://`, `file://`) are read here, inside the submit activity, and inlined as base64 at
 * request time, so image bytes never enter workflow history.
 */
import { ApplicationFailure } from '@temporalio/common';
import { fileURLToPath } from 'node:url';
import { FailureType } from '../../common/errors';
import type { ImageRef } from '../../common/shot';
import { readLocalFile } from '../storage/fs';

/** The provider's limit per image (PROVIDER-NOTES.md). */
export const MAX_IMAGE_BYTES = 30 * 1024 * 1024;

/** Reads `s3://bucket/key` objects; supplied by the storage wiring. */
export type S3ObjectReader = (bucket: string, key: string, maxBytes: number) => Promise<Buffer>;

const SIGNATURES: Array<{ mime: string; test: (b: Buffer) => boolean }> = [
  { mime: 'image/jpeg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { mime: 'image/png', test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { mime: 'image/webp', test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP' },
  { mime: 'image/gif', test: (b) => /^GIF8[79]a/.test(b.subarray(0, 6).toString('latin1')) },
  { mime: 'image/bmp', test: (b) => b.subarray(0, 2).toString('latin1') === 'BM' },
  { mime: 'image/tiff', test: (b) => ['II*\0', 'MM\0*'].includes(b.subarray(0, 4).toString('latin1')) },
];

/** The image format from its first bytes; `undefined` for anything the provider does not take. */
export function sniffImageType(bytes: Buffer): string | undefined {
  return SIGNATURES.find((s) => s.test(bytes))?.mime;
}

export function toDataUrl(bytes: Buffer, source: string): string {
  const mime = sniffImageType(bytes);
  if (!mime) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidRequest,
      message: `${FailureType.InvalidRequest}: ${source} is not a jpeg, png, webp, bmp, tiff or gif image`,
      nonRetryable: true,
    });
  }
  return `data:${mime};base64,${bytes.toString('base64')}`;
}

export async function resolveImageUrl(ref: ImageRef, readS3: S3ObjectReader): Promise<string> {
  if (/^https?:\/\//i.test(ref.url)) return ref.url;
  try {
    let bytes: Buffer;
    if (ref.url.startsWith('s3://')) {
      const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(ref.url);
      if (!m) throw new Error(`bad s3 reference ${ref.url}`);
      bytes = await readS3(m[1] as string, m[2] as string, MAX_IMAGE_BYTES);
    } else {
      bytes = await readLocalFile(fileURLToPath(ref.url), MAX_IMAGE_BYTES);
    }
    return toDataUrl(bytes, ref.url);
  } catch (err) {
    if (err instanceof ApplicationFailure) throw err;
    throw ApplicationFailure.create({
      type: FailureType.InvalidRequest,
      message: `${FailureType.InvalidRequest}: cannot read image ${ref.url}: ${(err as Error).message}`,
      nonRetryable: true,
    });
  }
}
