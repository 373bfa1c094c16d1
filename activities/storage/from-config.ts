/**
 * Picks the storage backend named by STORAGE_URL. Shared by the worker (copies) and the CLI
 * (staging local images), so both agree on where things live.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import path from 'node:path';
import type { Config } from '../../common/config';
import { parseStorageUrl, type StorageBackend } from './backend';
import { FileStorage } from './fs';
import { createS3Client, S3Storage } from './s3';

export interface StorageWiring {
  storage: StorageBackend;
  /** The S3 client, when STORAGE_URL is s3:// (also reads staged s3:// images). */
  s3?: S3Client;
}

/** `file://./renders` (relative) is resolved against `cwd`; everything else is absolute. */
export function resolveStorageUrl(url: string, cwd = process.cwd()): string {
  const rel = /^file:\/\/(\.{1,2}\/.*)$/.exec(url);
  return rel ? `file://${path.resolve(cwd, rel[1] as string)}` : url;
}

export function createStorage(config: Pick<Config, 'STORAGE_URL' | 'AWS_ENDPOINT_URL_S3' | 'AWS_REGION'>): StorageWiring {
  const location = parseStorageUrl(resolveStorageUrl(config.STORAGE_URL));
  if (location.kind === 'file') return { storage: new FileStorage(location.dir) };
  const s3 = createS3Client({ endpoint: config.AWS_ENDPOINT_URL_S3, region: config.AWS_REGION });
  return { storage: new S3Storage(s3, location.bucket, location.prefix), s3 };
}
