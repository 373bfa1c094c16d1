/**
 * Image headers, parsed for real: the format, width and height of a png (IHDR), jpeg (SOF),
 * webp (VP8, VP8L, VP8X), gif, bmp or tiff, and the provider's documented limits on them
 * (docs/provider/notes.md, "Inputs": each side 300-6000 px, width/height within 0.4-2.5).
 *
 * Pure: no I/O, so workflows, activities and the client can all use it. A caller that holds
 * the whole file passes its bytes (`inspectImage`); a caller reading a file passes a
 * `ByteSource` that answers from what it has loaded and loads what the parser asks for
 * (`parseImageHeaderFrom` returns `need` for bytes it does not have yet).
 */

export const IMAGE_FORMATS = ['jpeg', 'png', 'webp', 'gif', 'bmp', 'tiff'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export const IMAGE_MIME: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  bmp: 'image/bmp',
  tiff: 'image/tiff',
};

/** File extension for a staged image of each format. */
export const IMAGE_EXTENSION: Record<ImageFormat, string> = {
  jpeg: 'jpg',
  png: 'png',
  webp: 'webp',
  gif: 'gif',
  bmp: 'bmp',
  tiff: 'tiff',
};

/** The provider's limits (docs/provider/notes.md, "Inputs"). */
export const MIN_IMAGE_SIDE = 300;
export const MAX_IMAGE_SIDE = 6000;
export const MIN_IMAGE_ASPECT = 0.4;
export const MAX_IMAGE_ASPECT = 2.5;

/** A jpeg needs its frame header (SOF) within this many segments; real files have a few dozen. */
export const MAX_JPEG_SEGMENTS_BEFORE_FRAME = 256;
/** A tiff's first directory may hold at most this many entries. */
export const MAX_TIFF_ENTRIES = 4096;

export interface ImageHeader {
  format: ImageFormat;
  mime: string;
  width: number;
  height: number;
}

/** Bytes of a file: `size` is the whole file's; `bytes` answers `undefined` for a range not loaded yet. */
export interface ByteSource {
  readonly size: number;
  bytes(offset: number, length: number): Uint8Array | undefined;
}

export type HeaderResult =
  | { ok: true; header: ImageHeader }
  | { ok: false; reason: string }
  /** Load these bytes (within the file) and ask again. */
  | { ok: false; need: { offset: number; length: number } };

export const NOT_AN_IMAGE = 'not a jpeg, png, webp, bmp, tiff or gif image';

class Need {
  constructor(
    readonly offset: number,
    readonly length: number,
  ) {}
}
class Invalid {
  constructor(readonly reason: string) {}
}

/** Reads fixed-width fields; throws Need for bytes not loaded and Invalid past the end of the file. */
class Reader {
  constructor(
    private readonly src: ByteSource,
    private readonly what: string,
  ) {}
  get size(): number {
    return this.src.size;
  }
  bytes(offset: number, length: number): Uint8Array {
    if (offset < 0 || length < 0 || offset + length > this.src.size) throw new Invalid(`truncated ${this.what} header`);
    const b = this.src.bytes(offset, length);
    if (!b || b.length < length) throw new Need(offset, length);
    return b;
  }
  u8(offset: number): number {
    return this.bytes(offset, 1)[0] as number;
  }
  u16(offset: number, le: boolean): number {
    const b = this.bytes(offset, 2);
    return le ? (b[0] as number) | ((b[1] as number) << 8) : ((b[0] as number) << 8) | (b[1] as number);
  }
  u24le(offset: number): number {
    const b = this.bytes(offset, 3);
    return (b[0] as number) | ((b[1] as number) << 8) | ((b[2] as number) << 16);
  }
  u32(offset: number, le: boolean): number {
    const b = this.bytes(offset, 4);
    const v = le
      ? (b[0] as number) | ((b[1] as number) << 8) | ((b[2] as number) << 16) | ((b[3] as number) << 24)
      : ((b[0] as number) << 24) | ((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number);
    return v >>> 0;
  }
  i32le(offset: number): number {
    return this.u32(offset, true) | 0;
  }
  ascii(offset: number, length: number): string {
    return String.fromCharCode(...this.bytes(offset, length));
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Which format the first bytes announce (a signature only: the header is checked by the parser). */
function signatureOf(head: Uint8Array): ImageFormat | undefined {
  const s = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  if (head.length >= 8 && PNG_SIGNATURE.every((b, i) => head[i] === b)) return 'png';
  if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return 'jpeg';
  if (head.length >= 12 && s(0, 4) === 'RIFF' && s(8, 12) === 'WEBP') return 'webp';
  if (head.length >= 6 && (s(0, 6) === 'GIF87a' || s(0, 6) === 'GIF89a')) return 'gif';
  if (head.length >= 2 && s(0, 2) === 'BM') return 'bmp';
  if (head.length >= 4 && (s(0, 4) === 'II*\0' || s(0, 4) === 'MM\0*')) return 'tiff';
  return undefined;
}

/** Parses the header of an image whose bytes `src` gives; asks for more when it needs them. */
export function parseImageHeaderFrom(src: ByteSource): HeaderResult {
  const head = src.bytes(0, Math.min(12, src.size));
  if (!head) return { ok: false, need: { offset: 0, length: Math.min(12, src.size) } };
  const format = signatureOf(head);
  if (!format) return { ok: false, reason: NOT_AN_IMAGE };
  const r = new Reader(src, format);
  try {
    const { width, height } = PARSERS[format](r);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
      return { ok: false, reason: `${format} header gives no size (${width}×${height})` };
    }
    return { ok: true, header: { format, mime: IMAGE_MIME[format], width, height } };
  } catch (err) {
    if (err instanceof Need) return { ok: false, need: { offset: err.offset, length: err.length } };
    if (err instanceof Invalid) return { ok: false, reason: `not a valid ${format} image: ${err.reason}` };
    throw err;
  }
}

/** The header of an image held whole (or a prefix of it: what is missing counts as truncated). */
export function parseImageHeader(bytes: Uint8Array): { ok: true; header: ImageHeader } | { ok: false; reason: string } {
  const result = parseImageHeaderFrom(bufferSource(bytes));
  if (result.ok || 'reason' in result) return result;
  return { ok: false, reason: 'truncated image header' };
}

/** A problem with the provider's size and aspect limits, or `undefined` when the image is within them. */
export function imageLimitProblem(h: Pick<ImageHeader, 'width' | 'height'>): string | undefined {
  const { width, height } = h;
  if (width < MIN_IMAGE_SIDE || height < MIN_IMAGE_SIDE || width > MAX_IMAGE_SIDE || height > MAX_IMAGE_SIDE) {
    return `${width}×${height} px: each side must be ${MIN_IMAGE_SIDE}-${MAX_IMAGE_SIDE} px`;
  }
  const aspect = width / height;
  if (aspect < MIN_IMAGE_ASPECT || aspect > MAX_IMAGE_ASPECT) {
    return `${width}×${height} px: aspect ratio (width/height) ${aspect.toFixed(2)} is outside ${MIN_IMAGE_ASPECT}-${MAX_IMAGE_ASPECT}`;
  }
  return undefined;
}

/** Header and limits at once, for bytes held whole: what the provider would accept, or why not. */
export function inspectImage(bytes: Uint8Array): { ok: true; header: ImageHeader } | { ok: false; reason: string } {
  const parsed = parseImageHeader(bytes);
  if (!parsed.ok) return parsed;
  const problem = imageLimitProblem(parsed.header);
  return problem ? { ok: false, reason: problem } : parsed;
}

/** A ByteSource that reads more when asked: a file's handle, a stored object's stream. */
export interface LoadingByteSource extends ByteSource {
  /** Makes `[offset, offset + length)` available; false when it cannot (a budget spent, a stream gone past it). */
  load(offset: number, length: number): Promise<boolean>;
}

/** The first read of an image: enough for every header but a jpeg with large metadata. */
export const HEADER_READ_BYTES = 64 * 1024;

/**
 * The header of an image read through `src` (a first window, then what the parser asks for),
 * with the provider's side and aspect limits: what the provider would accept, or why not.
 */
export async function checkImageHeader(src: LoadingByteSource): Promise<{ ok: true; header: ImageHeader } | { ok: false; reason: string }> {
  if (src.size === 0) return { ok: false, reason: `empty file, ${NOT_AN_IMAGE}` };
  await src.load(0, Math.min(src.size, HEADER_READ_BYTES));
  for (;;) {
    const result = parseImageHeaderFrom(src);
    if (result.ok) {
      const problem = imageLimitProblem(result.header);
      return problem ? { ok: false, reason: problem } : result;
    }
    if ('reason' in result) return result;
    if (!(await src.load(result.need.offset, result.need.length))) {
      return { ok: false, reason: 'the image header is spread too far through the file to check' };
    }
  }
}

/** A ByteSource over bytes held in memory. */
export function bufferSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    bytes: (offset, length) => (offset + length <= bytes.length ? bytes.subarray(offset, offset + length) : undefined),
  };
}

// ----- the formats -----

type Size = { width: number; height: number };

const PARSERS: Record<ImageFormat, (r: Reader) => Size> = { png, jpeg, webp, gif, bmp, tiff };

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const PNG_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

/** PNG: the first chunk is IHDR (13 bytes: width, height, depth, colour type, compression, filter, interlace) with its CRC. */
function png(r: Reader): Size {
  if (r.u32(8, false) !== 13 || r.ascii(12, 4) !== 'IHDR') throw new Invalid('the first chunk is not IHDR');
  const width = r.u32(16, false);
  const height = r.u32(20, false);
  const depth = r.u8(24);
  const colour = r.u8(25);
  if (!PNG_DEPTHS[colour]?.includes(depth)) throw new Invalid(`bit depth ${depth} with colour type ${colour}`);
  if (r.u8(26) !== 0 || r.u8(27) !== 0 || r.u8(28) > 1) throw new Invalid('unknown compression, filter or interlace method');
  if (crc32(r.bytes(12, 17)) !== r.u32(29, false)) throw new Invalid('IHDR checksum does not match');
  if (width > 0x7fffffff || height > 0x7fffffff) throw new Invalid('width or height over 2^31-1');
  return { width, height };
}

/** JPEG: walk the marker segments after SOI up to the frame header (SOF0-SOF15, not DHT/JPG/DAC). */
function jpeg(r: Reader): Size {
  let p = 2;
  for (let segments = 0; segments < MAX_JPEG_SEGMENTS_BEFORE_FRAME; segments++) {
    if (r.u8(p) !== 0xff) throw new Invalid(`no marker at byte ${p}`);
    let marker = r.u8(p + 1);
    // Any number of 0xff fill bytes may precede a marker.
    let fill = 0;
    while (marker === 0xff) {
      if (++fill > 64) throw new Invalid('endless fill bytes');
      p++;
      marker = r.u8(p + 1);
    }
    if (marker === 0xd8 || marker === 0x00) throw new Invalid(`unexpected marker 0x${marker.toString(16)} at byte ${p}`);
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      p += 2; // standalone markers: no length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) throw new Invalid('no frame header (SOF) before the image data');
    const length = r.u16(p + 2, false);
    if (length < 2) throw new Invalid(`segment length ${length} at byte ${p}`);
    const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isFrame) {
      if (length < 8) throw new Invalid('short frame header');
      const components = r.u8(p + 9);
      if (components < 1 || components > 4 || length < 8 + 3 * components) throw new Invalid(`frame header with ${components} components`);
      const precision = r.u8(p + 4);
      if (precision !== 8 && precision !== 12 && precision !== 16) throw new Invalid(`sample precision ${precision}`);
      return { height: r.u16(p + 5, false), width: r.u16(p + 7, false) };
    }
    p += 2 + length;
  }
  throw new Invalid(`no frame header (SOF) within the first ${MAX_JPEG_SEGMENTS_BEFORE_FRAME} segments`);
}

/** WebP: RIFF container, then a VP8 (lossy), VP8L (lossless) or VP8X (extended) chunk. */
function webp(r: Reader): Size {
  const riffSize = r.u32(4, true);
  if (riffSize < 4 + 8 + 10 || riffSize + 8 > r.size) throw new Invalid(`RIFF size ${riffSize} does not fit a ${r.size}-byte file`);
  const chunk = r.ascii(12, 4);
  const chunkSize = r.u32(16, true);
  if (chunkSize + 20 > riffSize + 8) throw new Invalid(`${chunk.trim()} chunk larger than its file`);
  switch (chunk) {
    case 'VP8 ': {
      if (chunkSize < 10) throw new Invalid('short VP8 chunk');
      if ((r.u8(20) & 1) !== 0) throw new Invalid('the first VP8 frame is not a key frame');
      const start = r.bytes(23, 3);
      if (start[0] !== 0x9d || start[1] !== 0x01 || start[2] !== 0x2a) throw new Invalid('no VP8 start code');
      return { width: r.u16(26, true) & 0x3fff, height: r.u16(28, true) & 0x3fff };
    }
    case 'VP8L': {
      if (chunkSize < 5) throw new Invalid('short VP8L chunk');
      if (r.u8(20) !== 0x2f) throw new Invalid('no VP8L signature');
      const bits = r.u32(21, true);
      if (bits >>> 29 !== 0) throw new Invalid(`VP8L version ${bits >>> 29}`);
      return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    case 'VP8X': {
      if (chunkSize < 10) throw new Invalid('short VP8X chunk');
      return { width: r.u24le(24) + 1, height: r.u24le(27) + 1 };
    }
    default:
      throw new Invalid(`unknown first chunk ${JSON.stringify(chunk)}`);
  }
}

/** GIF: logical screen descriptor, then (after the global colour table) an extension, image or trailer. */
function gif(r: Reader): Size {
  const width = r.u16(6, true);
  const height = r.u16(8, true);
  const flags = r.u8(10);
  const table = flags & 0x80 ? 3 * 2 ** ((flags & 0x07) + 1) : 0;
  const next = r.u8(13 + table);
  if (next !== 0x21 && next !== 0x2c && next !== 0x3b) throw new Invalid(`block 0x${next.toString(16)} after the screen descriptor`);
  return { width, height };
}

const BMP_HEADER_SIZES = [12, 40, 52, 56, 64, 108, 124];
const BMP_BITS = [1, 2, 4, 8, 16, 24, 32];

/** BMP: file header (14 bytes) and a DIB header of a known size with planes = 1 and a known depth and compression. */
function bmp(r: Reader): Size {
  const dataOffset = r.u32(10, true);
  const dib = r.u32(14, true);
  if (!BMP_HEADER_SIZES.includes(dib)) throw new Invalid(`DIB header size ${dib}`);
  let width: number;
  let height: number;
  let planes: number;
  let bits: number;
  let compression = 0;
  if (dib === 12) {
    width = r.u16(18, true);
    height = r.u16(20, true);
    planes = r.u16(22, true);
    bits = r.u16(24, true);
  } else {
    width = r.i32le(18);
    height = Math.abs(r.i32le(22)); // negative: rows stored top-down
    planes = r.u16(26, true);
    bits = r.u16(28, true);
    compression = r.u32(30, true);
  }
  if (planes !== 1) throw new Invalid(`${planes} colour planes`);
  if (!BMP_BITS.includes(bits)) throw new Invalid(`${bits} bits per pixel`);
  if (compression > 6) throw new Invalid(`compression ${compression}`);
  if (dataOffset < 14 + dib || dataOffset >= r.size) throw new Invalid(`pixel data offset ${dataOffset} outside the file`);
  return { width, height };
}

/** TIFF: the first image file directory's ImageWidth (256) and ImageLength (257). */
function tiff(r: Reader): Size {
  const le = r.ascii(0, 2) === 'II';
  const ifd = r.u32(4, le);
  if (ifd < 8) throw new Invalid(`first directory at byte ${ifd}`);
  const count = r.u16(ifd, le);
  if (count === 0 || count > MAX_TIFF_ENTRIES) throw new Invalid(`${count} directory entries`);
  r.bytes(ifd + 2, 12 * count); // the whole directory, in one request
  let width: number | undefined;
  let height: number | undefined;
  for (let i = 0; i < count; i++) {
    const at = ifd + 2 + 12 * i;
    const tag = r.u16(at, le);
    if (tag !== 256 && tag !== 257) continue;
    const type = r.u16(at + 2, le);
    if (r.u32(at + 4, le) !== 1) throw new Invalid(`tag ${tag} with more than one value`);
    const value = type === 3 ? r.u16(at + 8, le) : type === 4 ? r.u32(at + 8, le) : undefined;
    if (value === undefined) throw new Invalid(`tag ${tag} of type ${type}`);
    if (tag === 256) width = value;
    else height = value;
  }
  if (width === undefined || height === undefined) throw new Invalid('no ImageWidth/ImageLength in the first directory');
  return { width, height };
}
