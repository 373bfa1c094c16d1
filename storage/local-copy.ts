/**
 * A stored object as a local file, for tools that need a path (ffmpeg seeks in MP4s):
 * the file backend's own file, or the object streamed to a temporary file that is removed
 * afterwards. Never reads the object into memory.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { joinKey, type StorageBackend } from './backend';
import { FileStorage } from './fs';
import { S3Storage } from './s3';

export interface LocalFileOptions {
  /** The client for an S3Storage backend (the worker has it from createStorage). */
  s3?: S3Client;
  /** Directory for temporary copies (default: the OS temp dir). */
  tmpDir?: string;
  signal?: AbortSignal;
}

/** A backend that can stream an object back (FileStorage has it; a future interface method). */
interface StreamingBackend {
  createReadStream(key: string): Readable;
}
function canStream(storage: StorageBackend): storage is StorageBackend & StreamingBackend {
  return typeof (storage as Partial<StreamingBackend>).createReadStream === 'function';
}

/** Runs `fn` with a local path holding the object at `key`; removes any temporary copy after. */
export async function withLocalFile<T>(
  storage: StorageBackend,
  key: string,
  fn: (file: string) => Promise<T>,
  opts: LocalFileOptions = {},
): Promise<T> {
  // The file backend's own file, its directory checked against symlinks out of the root.
  if (storage instanceof FileStorage) return fn(await storage.localPath(key));
  const open = streamOpener(storage, key, opts);
  const dir = await mkdtemp(path.join(opts.tmpDir ?? os.tmpdir(), 'seedance-report-'));
  try {
    const file = path.join(dir, path.basename(key) || 'object');
    await pipeline(await open(), createWriteStream(file), opts.signal ? { signal: opts.signal } : {});
    return await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function streamOpener(storage: StorageBackend, key: string, opts: LocalFileOptions): () => Promise<Readable> {
  if (storage instanceof S3Storage) {
    // S3Storage keeps its client private; the worker passes the same client in deps.
    const client = opts.s3 ?? (storage as unknown as { client?: S3Client }).client;
    if (!client) throw new Error('reading a video from S3 needs the S3 client');
    return async () => {
      const res = await client.send(
        new GetObjectCommand({ Bucket: storage.bucket, Key: joinKey(storage.prefix, key) }),
        opts.signal ? { abortSignal: opts.signal } : {},
      );
      const body = res.Body;
      if (!body) throw new Error(`${storage.urlOf(key)}: empty response`);
      // In Node the SDK's body is a Readable; anything else is converted from its web stream.
      return body instanceof Readable ? body : Readable.fromWeb(body.transformToWebStream() as WebReadableStream);
    };
  }
  if (canStream(storage)) return async () => storage.createReadStream(key);
  throw new Error(`cannot stream objects back from this storage backend (${storage.urlOf(key)})`);
}
