/**
 * Picks the storage backend named by STORAGE_URL. Shared by the worker (copies) and the CLI
 * (staging local images), so both agree on where things live. A process builds one wiring,
 * so one S3 client, and hands it to everything that needs storage (the start-up sweep too).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import path from 'node:path';
import type { Config } from '../common/config';
import { parseStorageUrl, STALE_WRITE_AGE_MS, type StorageBackend, type SweepResult } from './backend';
import { FileStorage } from './fs';
import { createS3Client, S3Storage } from './s3';

export type StorageConfig = Pick<Config, 'STORAGE_URL' | 'AWS_ENDPOINT_URL_S3' | 'AWS_REGION'>;

export interface StorageWiring {
  storage: StorageBackend;
  /** STORAGE_URL as configured, for messages and logs. */
  url: string;
  /** The wiring's one S3 client, when STORAGE_URL is s3:// (the worker also reads staged s3:// images with it). */
  s3?: S3Client;
}

/** `file://./renders` (relative) is resolved against `cwd`; everything else is absolute. */
export function resolveStorageUrl(url: string, cwd = process.cwd()): string {
  const rel = /^file:\/\/(\.{1,2}\/.*)$/.exec(url);
  return rel ? `file://${path.resolve(cwd, rel[1] as string)}` : url;
}

export function createStorage(config: StorageConfig): StorageWiring {
  const url = config.STORAGE_URL;
  const location = parseStorageUrl(resolveStorageUrl(url));
  if (location.kind === 'file') return { storage: new FileStorage(location.dir), url };
  const s3 = createS3Client({ endpoint: config.AWS_ENDPOINT_URL_S3, region: config.AWS_REGION });
  return { storage: new S3Storage(s3, location.bucket, location.prefix), url, s3 };
}

export interface SweepLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
}

/**
 * At worker start-up: removes what writes killed midway left in the process's storage
 * (`.partial-*` files of the file backend, incomplete S3 multipart uploads under the prefix)
 * older than `olderThanMs`. Uses the wiring it is given (the worker's own: no second client).
 * Best effort and logged; never throws.
 */
export async function sweepStaleWrites(
  wiring: Pick<StorageWiring, 'storage' | 'url'>,
  log: SweepLogger,
  olderThanMs = STALE_WRITE_AGE_MS,
): Promise<SweepResult | undefined> {
  try {
    const result = await wiring.storage.sweepStaleWrites?.(olderThanMs);
    if (!result) return undefined;
    const meta = { storage: wiring.url, olderThanMs, removed: result.removed, examples: result.examples };
    if (result.removed > 0) log.info('removed leftovers of interrupted writes', meta);
    if (result.errors.length) log.warn('could not sweep all leftovers of interrupted writes', { ...meta, errors: result.errors });
    return result;
  } catch (err) {
    log.warn('could not sweep leftovers of interrupted writes', { storage: wiring.url, error: String(err) });
    return undefined;
  }
}
