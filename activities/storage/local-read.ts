/**
 * Bounded reads of local files that the input names (images, storyboards): only regular
 * files, and never more than the limit plus one byte, whatever the file claims.
 *
 * Why not `readFile`: a path may name a device (`/dev/zero` grows forever), a FIFO (blocks
 * forever) or a file that grows while it is read. The file is opened non-blocking, so a FIFO
 * cannot hang the open, and the check is made on the open handle, so a path swapped between
 * check and read cannot slip through.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { ObjectTooLargeError } from './backend';

/** The path is not a regular file (a directory, device, FIFO or socket). */
export class NotRegularFileError extends Error {
  override readonly name = 'NotRegularFileError';
}

export async function readRegularFile(file: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new NotRegularFileError(`${file} is not a regular file`);
    if (info.size > maxBytes) throw new ObjectTooLargeError(`${file} is ${info.size} bytes, over the ${maxBytes}-byte limit`);
    // Read at most maxBytes + 1: one byte more than allowed is enough to know it is too large.
    const buffer = Buffer.alloc(Math.min(info.size, maxBytes) + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled === buffer.length) break;
    }
    if (filled > maxBytes) throw new ObjectTooLargeError(`${file} grew past the ${maxBytes}-byte limit while it was read`);
    return buffer.subarray(0, filled);
  } finally {
    await handle.close();
  }
}
