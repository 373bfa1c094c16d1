/**
 * Bounded reads of local files named by people (storyboards, their images, `--image`).
 *
 * Only regular files are read: a path naming a device (/dev/zero) would never end, a FIFO
 * would block forever, a directory or socket is a mistake. The path is checked before it is
 * opened (so a device is never opened at all), opened non-blocking (a FIFO swapped in
 * meanwhile does not block the open), and the open handle is checked again (what is read is
 * what was checked). No read goes past the limit plus one byte, whatever the file does
 * meanwhile.
 */
import { constants } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { formatBytes } from '../common/byte-sizes';
import type { ByteSource } from '../common/image-header';

/** O_RDONLY | O_NONBLOCK | O_NOCTTY where the platform has them. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

export type LocalFileProblem = 'missing' | 'unreadable' | 'not-regular' | 'too-large' | 'changed';

/** A local file that cannot be read as asked; `message` starts with the file as given. */
export class LocalFileError extends Error {
  override readonly name = 'LocalFileError';
  constructor(
    readonly problem: LocalFileProblem,
    readonly file: string,
    /** What is wrong, without the file name. */
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

function kindOf(s: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  return 'something else';
}

function notRegular(file: string, kind: string): LocalFileError {
  return new LocalFileError('not-regular', file, `not a regular file but ${kind}; only regular files are read`);
}

function cannotRead(file: string, err: unknown): LocalFileError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new LocalFileError('missing', file, `cannot read (${code}: no such file)`);
  if (code === 'ENXIO') return notRegular(file, 'a socket or device without a reader');
  if (code === 'ELOOP') return new LocalFileError('unreadable', file, 'cannot read (ELOOP: too many symbolic links)');
  return new LocalFileError('unreadable', file, `cannot read (${code ?? (err as Error).message})`);
}

export function tooLarge(file: string, size: number | string, maxBytes: number, what = 'the'): LocalFileError {
  return new LocalFileError('too-large', file, `${size} bytes, over ${what} ${maxBytes}-byte limit (${formatBytes(maxBytes)})`);
}

export { formatBytes };

export interface OpenedFile {
  handle: FileHandle;
  /** Size of the open file when it was checked. */
  size: number;
}

/**
 * Opens a regular file of at most `maxBytes` for reading, or throws LocalFileError. The
 * caller closes the handle. `limitName` names the limit in the message ("the provider's").
 */
export async function openRegularFile(file: string, maxBytes: number, limitName?: string): Promise<OpenedFile> {
  let before;
  try {
    before = await stat(file);
  } catch (err) {
    throw cannotRead(file, err);
  }
  if (!before.isFile()) throw notRegular(file, kindOf(before));
  let handle: FileHandle;
  try {
    handle = await open(file, OPEN_FLAGS);
  } catch (err) {
    throw cannotRead(file, err);
  }
  try {
    const s = await handle.stat();
    if (!s.isFile()) throw notRegular(file, kindOf(s));
    if (s.size > maxBytes) throw tooLarge(file, s.size, maxBytes, limitName);
    return { handle, size: s.size };
  } catch (err) {
    await handle.close();
    throw err instanceof LocalFileError ? err : cannotRead(file, err);
  }
}

/** Reads `length` bytes at `position` (fewer only at the end of the file). */
export async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/**
 * A whole regular file of at most `maxBytes`. Reads at most `maxBytes + 1` bytes, so a file
 * that grows while it is read is refused instead of read without end.
 */
export async function readBoundedFile(file: string, maxBytes: number, limitName?: string): Promise<Buffer> {
  const { handle, size } = await openRegularFile(file, maxBytes, limitName);
  try {
    const bytes = await readAt(handle, 0, Math.min(size, maxBytes) + 1);
    if (bytes.length > maxBytes) throw tooLarge(file, `over ${maxBytes}`, maxBytes, limitName);
    return bytes;
  } catch (err) {
    throw err instanceof LocalFileError ? err : cannotRead(file, err);
  } finally {
    await handle.close();
  }
}

/**
 * A ByteSource over an open file for the header parser: what it has loaded, in small windows.
 * `load` reads what the parser asked for (at least `window` bytes), keeping at most
 * `maxLoaded` bytes in all.
 */
export class FileByteSource implements ByteSource {
  private readonly chunks: Array<{ offset: number; bytes: Buffer }> = [];
  private loaded = 0;
  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
    private readonly maxLoaded = 4 * 1024 * 1024,
  ) {}

  bytes(offset: number, length: number): Uint8Array | undefined {
    for (const c of this.chunks) {
      if (offset >= c.offset && offset + length <= c.offset + c.bytes.length)
        return c.bytes.subarray(offset - c.offset, offset - c.offset + length);
    }
    return undefined;
  }

  /** Loads `[offset, offset + length)` (and a little more); false when the budget is spent. */
  async load(offset: number, length: number, window = 4096): Promise<boolean> {
    const want = Math.min(Math.max(length, window), this.size - offset);
    if (this.loaded + want > this.maxLoaded) return false;
    const bytes = await readAt(this.handle, offset, want);
    this.loaded += bytes.length;
    this.chunks.push({ offset, bytes });
    return bytes.length >= Math.min(length, this.size - offset);
  }
}
