import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const CHUNK_BYTES = 64 * 1024;
const ZEROS = Buffer.alloc(CHUNK_BYTES);
/** Below this size there is no room for the box headers; the bytes are all keystream. */
const MIN_SIZE_WITH_HEADER = 32;

/**
 * A deterministic stand-in for a large video: `size` bytes derived from `seed`, produced
 * chunk by chunk on demand so that a multi-gigabyte "video" never sits in memory.
 *
 * The bytes are an AES-128-CTR keystream keyed by a hash of the seed (fast and reproducible:
 * the same seed always yields the same bytes). When there is room they start with an MP4
 * `ftyp` box followed by one `free` box covering the rest, so that a content sniffer sees an
 * MP4 container; the result is not playable.
 */
export function generatedVideo(size: number, seed: string): Readable {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`invalid video size: ${size}`);
  const key = createHash('sha256').update(`seedance-simulator:${seed}`).digest();
  const cipher = createCipheriv('aes-128-ctr', key.subarray(0, 16), key.subarray(16, 32));
  let offset = 0;
  return new Readable({
    // Called only when the consumer wants more data: one chunk per call is natural backpressure.
    read(): void {
      if (offset >= size) {
        this.push(null);
        return;
      }
      const length = Math.min(CHUNK_BYTES, size - offset);
      const chunk = cipher.update(ZEROS.subarray(0, length));
      if (offset === 0 && size >= MIN_SIZE_WITH_HEADER) writeBoxHeaders(chunk, size);
      offset += length;
      this.push(chunk);
    },
  });
}

/** Writes `ftyp` (24 bytes) then a `free` box header spanning the remaining bytes. */
function writeBoxHeaders(chunk: Buffer, size: number): void {
  chunk.writeUInt32BE(24, 0);
  chunk.write('ftypisom', 4, 'latin1');
  chunk.writeUInt32BE(0x200, 12);
  chunk.write('isommp41', 16, 'latin1');
  const rest = size - 24;
  if (rest <= 0xffffffff) {
    chunk.writeUInt32BE(rest, 24);
    chunk.write('free', 28, 'latin1');
  } else {
    // Boxes over 4 GiB use size 1 and a 64-bit "largesize" after the type.
    chunk.writeUInt32BE(1, 24);
    chunk.write('free', 28, 'latin1');
    chunk.writeBigUInt64BE(BigInt(rest), 32);
  }
}
