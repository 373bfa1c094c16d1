/**
 * A stored object as a local file, for tools that need a path (ffmpeg seeks in MP4s): the
 * backend's own file where it has one ({@link StorageBackend.localPath}), else the object
 * streamed ({@link StorageBackend.openRead}) to a temporary file that is removed afterwards.
 * Never reads the object into memory, and works with any backend.
 */
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { StorageBackend } from './backend';

export interface LocalFileOptions {
  /** Directory for temporary copies (default: the OS temp dir). */
  tmpDir?: string;
  /** A copied object larger than this is refused (ObjectTooLargeError); a backend's own file is used as it is. */
  maxBytes?: number;
  signal?: AbortSignal;
}

/** Runs `fn` with a local path holding the object at `key`; removes any temporary copy after. */
export async function withLocalFile<T>(
  storage: StorageBackend,
  key: string,
  fn: (file: string) => Promise<T>,
  opts: LocalFileOptions = {},
): Promise<T> {
  if (storage.localPath) return fn(await storage.localPath(key));
  const { signal } = opts;
  const body = await storage.openRead(key, {
    ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}),
    ...(signal ? { signal } : {}),
  });
  let dir: string;
  try {
    dir = await mkdtemp(path.join(opts.tmpDir ?? os.tmpdir(), 'seedance-report-'));
  } catch (err) {
    body.destroy();
    throw err;
  }
  try {
    const file = path.join(dir, path.basename(key) || 'object');
    await pipeline(body, createWriteStream(file), signal ? { signal } : {});
    return await fn(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
