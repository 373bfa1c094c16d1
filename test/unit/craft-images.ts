/**
 * Minimal valid image headers of every format the provider takes, for tests: each is a
 * header with the given size and a little padding, not a decodable picture.
 */
import { crc32 } from 'node:zlib';

const u16le = (n: number) => Buffer.from([n & 0xff, (n >> 8) & 0xff]);
const u16be = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const u32le = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n >>> 0);
  return b;
};
const u32be = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

export function png(width: number, height: number, opts: { badCrc?: boolean; depth?: number; colour?: number } = {}): Buffer {
  const ihdr = Buffer.concat([Buffer.from('IHDR'), u32be(width), u32be(height), Buffer.from([opts.depth ?? 8, opts.colour ?? 2, 0, 0, 0])]);
  const crc = crc32(ihdr) ^ (opts.badCrc ? 1 : 0);
  const iend = Buffer.concat([u32be(0), Buffer.from('IEND'), u32be(crc32(Buffer.from('IEND')))]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), u32be(13), ihdr, u32be(crc), iend]);
}

function segment(marker: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xff, marker]), u16be(body.length + 2), body]);
}

/** SOI, APP0 (JFIF), optional big APP1 segments, DQT, SOFn, SOS, EOI. */
export function jpeg(width: number, height: number, opts: { app1Bytes?: number[]; sof?: number; scanFirst?: boolean } = {}): Buffer {
  const app0 = segment(0xe0, Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0', 'latin1'));
  const app1 = (opts.app1Bytes ?? []).map((n) => segment(0xe1, Buffer.alloc(n, 0x41)));
  const dqt = segment(0xdb, Buffer.alloc(65, 1));
  const sof = segment(
    opts.sof ?? 0xc0,
    Buffer.concat([Buffer.from([8]), u16be(height), u16be(width), Buffer.from([3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1])]),
  );
  const sos = segment(0xda, Buffer.from([3, 1, 0, 2, 0x11, 3, 0x11, 0, 0x3f, 0]));
  const body = opts.scanFirst ? [sos, sof] : [sof, sos];
  return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, ...app1, dqt, ...body, Buffer.alloc(16, 0x55), Buffer.from([0xff, 0xd9])]);
}

function riff(chunk: string, data: Buffer): Buffer {
  const padded = data.length % 2 ? Buffer.concat([data, Buffer.alloc(1)]) : data;
  const body = Buffer.concat([Buffer.from('WEBP'), Buffer.from(chunk), u32le(data.length), padded]);
  return Buffer.concat([Buffer.from('RIFF'), u32le(body.length), body]);
}

export function webpLossy(width: number, height: number): Buffer {
  return riff('VP8 ', Buffer.concat([Buffer.from([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a]), u16le(width), u16le(height), Buffer.alloc(20, 0)]));
}

export function webpLossless(width: number, height: number): Buffer {
  const bits = ((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14);
  return riff('VP8L', Buffer.concat([Buffer.from([0x2f]), u32le(bits), Buffer.alloc(20, 0)]));
}

export function webpExtended(width: number, height: number): Buffer {
  const w = width - 1;
  const h = height - 1;
  return riff(
    'VP8X',
    Buffer.from([0x10, 0, 0, 0, w & 0xff, (w >> 8) & 0xff, (w >> 16) & 0xff, h & 0xff, (h >> 8) & 0xff, (h >> 16) & 0xff]),
  );
}

export function gif(width: number, height: number, opts: { table?: boolean; next?: number } = {}): Buffer {
  const flags = opts.table ? 0x80 | 0x01 : 0; // a 4-colour global table
  const table = opts.table ? Buffer.alloc(12, 0x22) : Buffer.alloc(0);
  const image = Buffer.concat([
    Buffer.from([opts.next ?? 0x2c]),
    u16le(0),
    u16le(0),
    u16le(width),
    u16le(height),
    Buffer.from([0, 2, 2, 0x4c, 0x01, 0, 0x3b]),
  ]);
  return Buffer.concat([Buffer.from('GIF89a'), u16le(width), u16le(height), Buffer.from([flags, 0, 0]), table, image]);
}

export function bmp(width: number, height: number, opts: { core?: boolean; topDown?: boolean } = {}): Buffer {
  if (opts.core) {
    const dib = Buffer.concat([u32le(12), u16le(width), u16le(height), u16le(1), u16le(24)]);
    return Buffer.concat([Buffer.from('BM'), u32le(14 + 12 + 16), u32le(0), u32le(26), dib, Buffer.alloc(16, 0x80)]);
  }
  const dib = Buffer.concat([
    u32le(40),
    u32le(width),
    u32le(opts.topDown ? -height : height),
    u16le(1),
    u16le(24),
    u32le(0),
    u32le(0),
    u32le(2835),
    u32le(2835),
    u32le(0),
    u32le(0),
  ]);
  return Buffer.concat([Buffer.from('BM'), u32le(14 + 40 + 16), u32le(0), u32le(54), dib, Buffer.alloc(16, 0x80)]);
}

/** Little-endian with the directory right after the header, or big-endian with the directory after the pixel data. */
export function tiff(width: number, height: number, opts: { bigEndian?: boolean; dataBytes?: number; noHeight?: boolean } = {}): Buffer {
  const be = Boolean(opts.bigEndian);
  const w16 = be ? u16be : u16le;
  const w32 = be ? u32be : u32le;
  const data = Buffer.alloc(opts.dataBytes ?? 0, 0x7f);
  const ifdOffset = 8 + data.length;
  const entry = (tag: number, type: number, value: number) =>
    Buffer.concat([w16(tag), w16(type), w32(1), type === 3 ? Buffer.concat([w16(value), Buffer.alloc(2)]) : w32(value)]);
  const entries = [entry(256, 3, width), ...(opts.noHeight ? [] : [entry(257, 4, height)]), entry(259, 3, 1)];
  const ifd = Buffer.concat([w16(entries.length), ...entries, w32(0)]);
  return Buffer.concat([Buffer.from(be ? 'MM\0*' : 'II*\0', 'latin1'), w32(ifdOffset), data, ifd]);
}
