/**
 * Filesystem backend for local use (`file:///dir`). Writes go to a temporary file in the same
 * directory and are renamed into place, so a crash never leaves a partial video under its key.
 *
 * Keys stay inside the root: `..` is refused by the key itself, and symlinks are checked
 * where the filesystem resolves them: the directory of every key must resolve (realpath)
 * inside the root's own real path before anything is read or written there, and the key's
 * last component is never followed as a symlink (reads open it with O_NOFOLLOW; writes
 * rename over it, which replaces a link rather than following it). The root itself may be a
 * symlink: it is the user's choice of where storage lives.
 *
 * S3 keeps an object's metadata with the object; here it is a JSON file in a hidden `.meta/`
 * folder beside it (`<dir>/.meta/<name>.json`), so a folder shows the files people open.
 * Folders written before that kept it at `<key>.metadata.json`, which is still read.
 */
import { randomUUID } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { lstat, mkdir, open, readdir, realpath, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import {
  limitBytes,
  ObjectTooLargeError,
  type ObjectInfo,
  type ReadOptions,
  type StorageBackend,
  type SweepResult,
  type UploadOptions,
} from './backend';

/** A key whose directory resolves outside the storage root (a symlink), or that is a symlink itself. */
export class KeyOutsideStorageError extends Error {
  override readonly name = 'KeyOutsideStorageError';
}

/** `<name>.partial-<uuid>` (and the older `.partial-<pid>[-<ms>]`): temporary files of unfinished writes. */
export const PARTIAL_NAME = /\.partial-(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+(?:-\d+)?)$/;

/** The hidden folder, beside the objects it describes, that holds their metadata. */
export const METADATA_DIR = '.meta';

/** Where the file backend keeps the metadata of `key`: `<dir>/.meta/<name>.json`. */
export function metadataKey(key: string): string {
  const slash = key.lastIndexOf('/');
  return `${key.slice(0, slash + 1)}${METADATA_DIR}/${key.slice(slash + 1)}.json`;
}

/** Where folders written before `.meta/` kept it: `<key>.metadata.json`. Read, never written. */
export function legacyMetadataKey(key: string): string {
  return `${key}.metadata.json`;
}

/** How many removed names a sweep reports (the count is always complete). */
const SWEEP_EXAMPLES = 20;
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;

export class FileStorage implements StorageBackend {
  private root?: string;

  constructor(readonly dir: string) {}

  /** The key's path, by name only (no `..` out of the root); see {@link resolve} for symlinks. */
  pathOf(key: string): string {
    const full = path.resolve(this.dir, key);
    if (!full.startsWith(path.resolve(this.dir) + path.sep)) throw new Error(`key ${key} escapes ${this.dir}`);
    return full;
  }

  urlOf(key: string): string {
    return pathToFileURL(this.pathOf(key)).href;
  }

  /**
   * The key's path with its directory resolved, after checking that the directory is inside
   * the root; null when the directory does not exist (nothing is stored there). With
   * `create`, missing directories are made first, each checked before anything is made in it.
   */
  async resolve(key: string, opts: { create?: boolean } = {}): Promise<string | null> {
    const full = this.pathOf(key);
    const root = await this.realRoot(Boolean(opts.create));
    if (root === null) return null;
    const dir = path.dirname(full);
    if (opts.create) {
      // mkdir -p follows symlinks: check the deepest directory that exists before making any below it.
      this.checkInside(key, await realpath(await deepestExisting(dir)), root);
      await mkdir(dir, { recursive: true });
    }
    let real: string;
    try {
      real = await realpath(dir);
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    this.checkInside(key, real, root);
    return path.join(real, path.basename(full));
  }

  /** The local path of a stored object, checked, for tools that need a file (ffmpeg). */
  async localPath(key: string): Promise<string> {
    const file = await this.resolve(key);
    if (file === null) throw Object.assign(new Error(`${this.urlOf(key)}: no such object`), { code: 'ENOENT' });
    const s = await lstat(file);
    if (s.isSymbolicLink()) throw new KeyOutsideStorageError(`${this.urlOf(key)} is a symlink; the file backend does not follow them`);
    return file;
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    const file = await this.resolve(key);
    if (file === null) return null;
    try {
      const s = await lstat(file);
      if (s.isSymbolicLink()) throw new KeyOutsideStorageError(`${this.urlOf(key)} is a symlink; the file backend does not follow them`);
      if (!s.isFile()) return null;
      const meta = (await this.readText(metadataKey(key))) ?? (await this.readText(legacyMetadataKey(key)));
      return { bytes: s.size, metadata: meta ? (JSON.parse(meta) as Record<string, string>) : {} };
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  async upload(key: string, body: Readable, options: UploadOptions): Promise<void> {
    let target: string | null;
    let metaTarget: string | null;
    try {
      target = await this.resolve(key, { create: true });
      metaTarget = await this.resolve(metadataKey(key), { create: true });
      if (target === null || metaTarget === null) throw new Error(`${this.urlOf(key)}: cannot create its directory`);
    } catch (err) {
      body.destroy();
      throw err;
    }
    const tmp = tempName(target);
    try {
      // 'wx': a new file, never an existing one or a link planted at that name.
      await pipeline(body, createWriteStream(tmp, { flags: 'wx' }), options.signal ? { signal: options.signal } : {});
      await writeAtomic(metaTarget, JSON.stringify(options.metadata));
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    // An earlier run's metadata beside the object would only be stale now (the new one is read first).
    await rm(`${target}.metadata.json`, { force: true }).catch(() => undefined);
  }

  async readText(key: string): Promise<string | null> {
    const file = await this.resolve(key);
    if (file === null) return null;
    let handle: FileHandle;
    try {
      handle = await openNoFollow(file, key, this);
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
    try {
      return await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
  }

  async writeText(key: string, text: string, _contentType?: string): Promise<void> {
    const target = await this.resolve(key, { create: true });
    if (target === null) throw new Error(`${this.urlOf(key)}: cannot create its directory`);
    await writeAtomic(target, text);
  }

  async readBytes(key: string, maxBytes: number): Promise<Buffer> {
    const file = await this.resolve(key);
    if (file === null) throw Object.assign(new Error(`${this.urlOf(key)}: no such object`), { code: 'ENOENT' });
    return readBounded(await openNoFollow(file, key, this), this.urlOf(key), maxBytes);
  }

  /** Streams a stored file back: its path checked, opened without following a final link. */
  async openRead(key: string, options: ReadOptions = {}): Promise<Readable> {
    const { maxBytes, signal } = options;
    signal?.throwIfAborted();
    const handle = await openNoFollow(await this.localPath(key), key, this);
    let size: number;
    try {
      size = (await handle.stat()).size;
    } catch (err) {
      await handle.close();
      throw err;
    }
    if (maxBytes !== undefined && size > maxBytes) {
      await handle.close();
      throw new ObjectTooLargeError(`${this.urlOf(key)} is ${size} bytes, over the ${maxBytes}-byte limit`);
    }
    // At most one byte past the limit is read: a file that grew since the stat is seen to be too large.
    const stream = handle.createReadStream(maxBytes !== undefined ? { start: 0, end: maxBytes } : { start: 0 });
    if (signal) addAbortSignal(signal, stream);
    return maxBytes !== undefined ? limitBytes(stream, maxBytes, this.urlOf(key)) : stream;
  }

  /**
   * Removes temporary files of writes that never finished (a process killed mid-copy):
   * `.partial-*` names last modified more than `olderThanMs` ago. A live write keeps touching
   * its file, so it is never taken. Best effort: problems are counted, never thrown.
   */
  async sweepStaleWrites(olderThanMs: number, now = Date.now()): Promise<SweepResult> {
    const result: SweepResult = { removed: 0, examples: [], errors: [] };
    const root = await this.realRoot(false).catch((err: unknown) => {
      pushError(result, String(err));
      return null;
    });
    if (root === null) return result;
    const cutoff = now - olderThanMs;
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch (err) {
        if (!isMissing(err)) pushError(result, `${dir}: ${String(err)}`);
        return;
      }
      for (const entry of entries) {
        const file = path.join(dir, entry.name);
        // Symlinks are neither followed nor removed: only real directories and files of ours.
        if (entry.isDirectory()) await walk(file);
        else if (entry.isFile() && PARTIAL_NAME.test(entry.name)) {
          try {
            const s = await lstat(file);
            if (s.mtimeMs < cutoff) {
              await rm(file, { force: true });
              result.removed++;
              if (result.examples.length < SWEEP_EXAMPLES) result.examples.push(path.relative(root, file));
            }
          } catch (err) {
            if (!isMissing(err)) pushError(result, `${file}: ${String(err)}`);
          }
        }
      }
    };
    await walk(root);
    return result;
  }

  /** The root's real path (the root may itself be a symlink); null while it does not exist. */
  private async realRoot(create: boolean): Promise<string | null> {
    if (this.root !== undefined) return this.root;
    if (create) await mkdir(this.dir, { recursive: true });
    try {
      this.root = await realpath(this.dir);
      return this.root;
    } catch (err) {
      if (isMissing(err)) return null;
      throw err;
    }
  }

  private checkInside(key: string, real: string, root: string): void {
    if (real !== root && !real.startsWith(root + path.sep)) {
      throw new KeyOutsideStorageError(
        `key ${key} resolves outside ${this.dir} (through a symlink to ${real}); the file backend does not follow links out of its root`,
      );
    }
  }
}

function pushError(result: SweepResult, message: string): void {
  if (result.errors.length < SWEEP_EXAMPLES) result.errors.push(message);
}

/** A temporary name beside `target`, unique to this write (two writers of one key never share one). */
function tempName(target: string): string {
  return `${target}.partial-${randomUUID()}`;
}

/** Writes `text` to a new temporary file and renames it over `target`. */
async function writeAtomic(target: string, text: string): Promise<void> {
  const tmp = tempName(target);
  try {
    const handle = await open(tmp, 'wx');
    try {
      await handle.writeFile(text);
    } finally {
      await handle.close();
    }
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Opens a stored regular file for reading: not through a final symlink, never blocking on a FIFO. */
async function openNoFollow(file: string, key: string, storage: FileStorage): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(file, constants.O_RDONLY | NOFOLLOW | NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new KeyOutsideStorageError(`${storage.urlOf(key)} is a symlink; the file backend does not follow them`);
    }
    throw err;
  }
  const s = await handle.stat().catch(async (err: unknown) => {
    await handle.close();
    throw err;
  });
  if (!s.isFile()) {
    await handle.close();
    throw Object.assign(new Error(`${storage.urlOf(key)} is not a regular file`), { code: s.isDirectory() ? 'EISDIR' : 'ENOTREGULAR' });
  }
  return handle;
}

/** The nearest ancestor of `dir` (or `dir` itself) that exists. */
async function deepestExisting(dir: string): Promise<string> {
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      await lstat(d);
      return d;
    } catch (err) {
      if (!isMissing(err) || path.dirname(d) === d) throw err;
    }
  }
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Reads an open regular file whole and closes it: at most `maxBytes`, refusing more whatever its size claimed. */
async function readBounded(handle: FileHandle, name: string, maxBytes: number): Promise<Buffer> {
  try {
    const { size } = await handle.stat();
    if (size > maxBytes) throw new ObjectTooLargeError(`${name} is ${size} bytes, over the ${maxBytes}-byte limit`);
    // One byte more than allowed: a file that grew after the stat is seen to be too large.
    const buf = Buffer.alloc(Math.min(size, maxBytes) + 1);
    let total = 0;
    while (total < buf.length) {
      const { bytesRead } = await handle.read(buf, total, buf.length - total, total);
      if (bytesRead === 0) break;
      total += bytesRead;
    }
    if (total > maxBytes) throw new ObjectTooLargeError(`${name} is over the ${maxBytes}-byte limit (it grew while being read)`);
    if (total === buf.length) {
      const more = await handle.read(Buffer.alloc(1), 0, 1, total);
      if (more.bytesRead > 0) throw new ObjectTooLargeError(`${name} grew while being read`);
    }
    return buf.subarray(0, total);
  } finally {
    await handle.close();
  }
}
