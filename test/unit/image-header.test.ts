import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  bufferSource,
  imageLimitProblem,
  inspectImage,
  MAX_JPEG_SEGMENTS_BEFORE_FRAME,
  parseImageHeader,
  parseImageHeaderFrom,
  type ByteSource,
} from '../../common/image-header';
import { bmp, gif, jpeg, png, tiff, webpExtended, webpLossless, webpLossy } from './craft-images';

const header = (bytes: Buffer) => {
  const r = parseImageHeader(bytes);
  return r.ok ? `${r.header.format} ${r.header.width}x${r.header.height} ${r.header.mime}` : `invalid: ${r.reason}`;
};

describe('image headers: format, width and height from the real header', () => {
  test.each<[string, Buffer, string]>([
    ['png', png(640, 360), 'png 640x360 image/png'],
    ['png, palette 4-bit', png(1000, 500, { depth: 4, colour: 3 }), 'png 1000x500 image/png'],
    ['jpeg baseline', jpeg(1920, 1080), 'jpeg 1920x1080 image/jpeg'],
    ['jpeg progressive', jpeg(800, 600, { sof: 0xc2 }), 'jpeg 800x600 image/jpeg'],
    ['jpeg after large metadata', jpeg(1024, 768, { app1Bytes: [60000, 60000, 60000] }), 'jpeg 1024x768 image/jpeg'],
    ['webp lossy (VP8)', webpLossy(1280, 720), 'webp 1280x720 image/webp'],
    ['webp lossless (VP8L)', webpLossless(1000, 1001), 'webp 1000x1001 image/webp'],
    ['webp extended (VP8X)', webpExtended(5000, 4000), 'webp 5000x4000 image/webp'],
    ['gif', gif(400, 300), 'gif 400x300 image/gif'],
    ['gif with a colour table', gif(400, 300, { table: true }), 'gif 400x300 image/gif'],
    ['bmp', bmp(640, 480), 'bmp 640x480 image/bmp'],
    ['bmp top-down', bmp(640, 480, { topDown: true }), 'bmp 640x480 image/bmp'],
    ['bmp core header', bmp(320, 320, { core: true }), 'bmp 320x320 image/bmp'],
    ['tiff little-endian', tiff(1200, 900), 'tiff 1200x900 image/tiff'],
    ['tiff big-endian, directory after the data', tiff(900, 1200, { bigEndian: true, dataBytes: 100_000 }), 'tiff 900x1200 image/tiff'],
  ])('%s', (_name, bytes, expected) => {
    expect(header(bytes)).toBe(expected);
  });

  test('the example images and the test fixtures are real PNGs the provider accepts', () => {
    const dirs = [path.resolve(__dirname, '../../examples/images'), path.resolve(__dirname, '../fixtures')];
    const files = dirs.flatMap((d) =>
      readdirSync(d)
        .filter((f) => f.endsWith('.png'))
        .map((f) => path.join(d, f)),
    );
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const f of files) {
      const r = inspectImage(readFileSync(f));
      expect([f, r.ok]).toEqual([f, true]);
    }
    expect(header(readFileSync(path.resolve(__dirname, '../../examples/images/ref-keeper.png')))).toBe('png 480x640 image/png');
  });
});

describe('image headers: what is not an image is refused with a reason', () => {
  test.each<[string, Buffer, RegExp]>([
    [
      'a text file starting with BM',
      Buffer.from('BM this is a text file, not a bitmap. It only starts like one.\n'),
      /not a valid bmp image: DIB header size/,
    ],
    ['"BM" alone', Buffer.from('BM'), /not a valid bmp image: truncated/],
    ['plain text', Buffer.from('hello world'), /not a jpeg, png, webp, bmp, tiff or gif image/],
    ['empty', Buffer.alloc(0), /not a jpeg, png/],
    ['png signature only', png(640, 360).subarray(0, 8), /not a valid png image: truncated/],
    ['png cut inside IHDR', png(640, 360).subarray(0, 20), /not a valid png image: truncated/],
    ['png with a wrong IHDR checksum', png(640, 360, { badCrc: true }), /checksum/],
    ['png with an impossible bit depth', png(640, 360, { depth: 3 }), /bit depth 3/],
    ['png of width 0', png(0, 360), /gives no size/],
    ['jpeg with the scan before the frame header', jpeg(640, 480, { scanFirst: true }), /no frame header/],
    ['jpeg signature then text', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.from('not really')]), /not a valid jpeg image/],
    ['jpeg that ends before its frame header', jpeg(640, 480).subarray(0, 30), /truncated/],
    ['webp whose RIFF size exceeds the file', webpLossy(640, 480).subarray(0, 40), /RIFF size/],
    [
      'webp with an unknown chunk',
      Buffer.concat([Buffer.from('RIFF'), Buffer.from([40, 0, 0, 0]), Buffer.from('WEBPABCD'), Buffer.alloc(36)]),
      /unknown first chunk/,
    ],
    ['gif followed by garbage', gif(400, 300, { next: 0x41 }), /block 0x41/],
    ['tiff without ImageLength', tiff(640, 480, { noHeight: true }), /no ImageWidth\/ImageLength/],
    [
      'tiff whose directory lies past the end',
      Buffer.concat([Buffer.from('II*\0', 'latin1'), Buffer.from([0xff, 0xff, 0, 0])]),
      /truncated/,
    ],
  ])('%s', (_name, bytes, reason) => {
    const r = parseImageHeader(bytes);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(reason);
  });

  test('a jpeg whose frame header never comes within the segment limit is refused, in bounded work', () => {
    const many = Array.from({ length: MAX_JPEG_SEGMENTS_BEFORE_FRAME + 5 }, () => 4);
    const r = parseImageHeader(jpeg(640, 480, { app1Bytes: many }));
    expect(!r.ok && r.reason).toMatch(/no frame header \(SOF\) within the first 256 segments/);
  });
});

describe("the provider's limits: each side 300-6000 px, width/height within 0.4-2.5", () => {
  test.each<[number, number, RegExp | undefined]>([
    [300, 300, undefined],
    [6000, 6000, undefined],
    [300, 750, undefined], // 0.4 exactly
    [750, 300, undefined], // 2.5 exactly
    [299, 400, /each side must be 300-6000 px/],
    [6001, 4000, /each side must be 300-6000 px/],
    [1, 1, /each side must be 300-6000 px/],
    [2600, 1000, /aspect ratio \(width\/height\) 2\.60 is outside 0\.4-2\.5/],
    [390, 1000, /aspect ratio .* 0\.39 is outside/],
  ])('%d×%d', (width, height, problem) => {
    const got = imageLimitProblem({ width, height });
    if (problem) expect(got).toMatch(problem);
    else expect(got).toBeUndefined();
  });

  test('inspectImage checks header and limits together', () => {
    expect(inspectImage(png(100, 100))).toEqual({ ok: false, reason: expect.stringMatching(/100×100 px: each side/) });
    expect(inspectImage(jpeg(1280, 720))).toMatchObject({ ok: true, header: { format: 'jpeg', width: 1280, height: 720 } });
  });
});

describe('a ByteSource that loads on demand', () => {
  /** Answers only from the ranges it was asked to load, like a file read in windows. */
  function lazy(bytes: Buffer) {
    const loaded: Array<[number, number]> = [[0, Math.min(bytes.length, 64)]];
    const source: ByteSource = {
      size: bytes.length,
      bytes: (offset, length) =>
        loaded.some(([s, e]) => offset >= s && offset + length <= e) ? bytes.subarray(offset, offset + length) : undefined,
    };
    return { source, load: (offset: number, length: number) => loaded.push([offset, offset + Math.max(length, 16)]), loaded };
  }

  test('a jpeg with 180 KB of metadata is read by segment headers, not whole', () => {
    const bytes = jpeg(2000, 1500, { app1Bytes: [60000, 60000, 60000] });
    const { source, load, loaded } = lazy(bytes);
    let result = parseImageHeaderFrom(source);
    for (let rounds = 0; !result.ok && 'need' in result && rounds < 50; rounds++) {
      load(result.need.offset, result.need.length);
      result = parseImageHeaderFrom(source);
    }
    expect(result).toMatchObject({ ok: true, header: { width: 2000, height: 1500 } });
    const read = loaded.reduce((n, [s, e]) => n + (e - s), 0);
    expect(read).toBeLessThan(1000);
  });

  test('a tiff whose directory follows 100 KB of pixel data asks for just the directory', () => {
    const bytes = tiff(1600, 1200, { dataBytes: 100_000 });
    const { source, load } = lazy(bytes);
    const first = parseImageHeaderFrom(source);
    expect(first).toEqual({ ok: false, need: { offset: 100_008, length: 2 } });
    load(100_008, 64);
    expect(parseImageHeaderFrom(source)).toMatchObject({ ok: true, header: { format: 'tiff', width: 1600, height: 1200 } });
  });

  test('bufferSource answers whole-buffer reads and nothing past the end', () => {
    const s = bufferSource(Buffer.from([1, 2, 3]));
    expect(s.bytes(1, 2)).toEqual(Buffer.from([2, 3]));
    expect(s.bytes(2, 2)).toBeUndefined();
  });
});
