/**
 * Filesystem backend for local use (`file:///dir`). Writes go to a temporary file in the same
 * directory and are renamed into place, so a crash never leaves a partial video under its key.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { ObjectTooLargeError, type ObjectInfo, type StorageBackend, type UploadOptions } from './backend';

export class FileStorage implements StorageBackend {
  constructor(readonly dir: string) {}

  pathOf(key: string): string {
    const full = path.resolve(this.dir, key);
    if (!full.startsWith(path.resolve(this.dir) + path.sep)) throw new Error(`key ${key} escapes ${this.dir}`);
    return full;
  }

  urlOf(key: string): string {
    return pathToFileURL(this.pathOf(key)).href;
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    try {
      const s = await stat(this.pathOf(key));
      const meta = await this.readText(`${key}.metadata.json`);
      return { bytes: s.size, metadata: meta ? (JSON.parse(meta) as Record<string, string>) : {} };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async upload(key: string, body: Readable, options: UploadOptions): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.partial-${process.pid}-${Date.now()}`;
    try {
      await pipeline(body, createWriteStream(tmp), options.signal ? { signal: options.signal } : {});
      await writeFile(`${target}.metadata.json`, JSON.stringify(options.metadata));
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  async readText(key: string): Promise<string | null> {
    try {
      return await readFile(this.pathOf(key), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async writeText(key: string, text: string): Promise<void> {
    const target = this.pathOf(key);
    await mkdir(path.dirname(target), { recursive: true });
    const tmp = `${target}.partial-${process.pid}`;
    await writeFile(tmp, text);
    await rename(tmp, target);
  }

  async readBytes(key: string, maxBytes: number): Promise<Buffer> {
    return readLocalFile(this.pathOf(key), maxBytes);
  }

  /** For tests and tools that want to stream a stored video back. */
  createReadStream(key: string): Readable {
    return createReadStream(this.pathOf(key));
  }
}

export async function readLocalFile(file: string, maxBytes: number): Promise<Buffer> {
  const s = await stat(file);
  if (s.size > maxBytes) throw new ObjectTooLargeError(`${file} is ${s.size} bytes, over the ${maxBytes}-byte limit`);
  return readFile(file);
}
