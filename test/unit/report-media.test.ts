/**
 * The report's media helpers: which ffmpeg runs, thumbnails and contact sheets with the
 * shipped binary (local files only, no servers), and stored objects as local files.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  FfmpegError,
  MAX_SHEET_TILES,
  extractThumbnail,
  makeContactSheet,
  parseDuration,
  resolveFfmpegPath,
  sheetLayout,
} from '../../activities/report/ffmpeg';
import { loadConfig } from '../../common/config';
import { ObjectTooLargeError } from '../../storage/backend';
import { withLocalFile } from '../../storage/local-copy';
import { FileStorage } from '../../storage/fs';
import { S3Storage } from '../../storage/s3';

const SAMPLE = path.resolve(__dirname, '../../simulator/assets/sample.mp4');
let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sf-report-unit-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** JPEG dimensions from the SOF0/SOF2 marker. */
function jpegSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  let i = 2;
  while (i < b.length) {
    const marker = b.readUInt16BE(i);
    const len = b.readUInt16BE(i + 2);
    if (marker === 0xffc0 || marker === 0xffc2) return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    i += 2 + len;
  }
  throw new Error(`${file}: no SOF marker`);
}

describe('ffmpeg', () => {
  test('FFMPEG_PATH (through the configuration) overrides the shipped binary', () => {
    expect(resolveFfmpegPath(loadConfig({ FFMPEG_PATH: '/opt/ffmpeg' }).FFMPEG_PATH)).toBe('/opt/ffmpeg');
    expect(resolveFfmpegPath('/x/ffmpeg')).toBe('/x/ffmpeg');
    const shipped = resolveFfmpegPath(loadConfig({}).FFMPEG_PATH);
    expect(shipped).toMatch(/node_modules\/@ffmpeg-installer\/[^/]+\/ffmpeg(\.exe)?$/);
    expect(existsSync(shipped)).toBe(true);
  });

  test('parseDuration reads the input description', () => {
    expect(parseDuration('  Duration: 00:00:02.00, start: 0.000000, bitrate: 65 kb/s')).toBe(2);
    expect(parseDuration('Duration: 01:02:03.50,')).toBe(3723.5);
    expect(parseDuration('Duration: N/A')).toBeUndefined();
  });

  test('the first frame of a real MP4, 320 wide, with its duration', async () => {
    const out = path.join(tmp, 'thumb.jpg');
    const t = await extractThumbnail(resolveFfmpegPath(), SAMPLE, out);
    expect(t.durationSeconds).toBeCloseTo(2, 1);
    expect(jpegSize(out)).toEqual({ width: 320, height: 180 });
  });

  test('random bytes are an FfmpegError, not a thumbnail', async () => {
    const bad = path.join(tmp, 'noise.mp4');
    await writeFile(bad, Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 31 + 7) % 256)));
    const out = path.join(tmp, 'noise.jpg');
    await expect(extractThumbnail(resolveFfmpegPath(), bad, out)).rejects.toBeInstanceOf(FfmpegError);
  });

  test('a missing binary is an FfmpegError', async () => {
    await expect(extractThumbnail('/nonexistent/ffmpeg', SAMPLE, path.join(tmp, 'x.jpg'))).rejects.toBeInstanceOf(FfmpegError);
  });

  test('sheet layout: up to 6 columns of 320×180, 10 columns of smaller cells past 36 tiles', () => {
    expect(sheetLayout(1)).toEqual({ columns: 1, rows: 1, cellWidth: 320, cellHeight: 180 });
    expect(sheetLayout(3)).toEqual({ columns: 3, rows: 1, cellWidth: 320, cellHeight: 180 });
    expect(sheetLayout(7)).toEqual({ columns: 6, rows: 2, cellWidth: 320, cellHeight: 180 });
    expect(sheetLayout(MAX_SHEET_TILES)).toEqual({ columns: 10, rows: 20, cellWidth: 192, cellHeight: 108 });
  });

  test('a contact sheet of thumbnails of different shapes, with a partly filled last row', async () => {
    const ffmpeg = resolveFfmpegPath();
    const wide = path.join(tmp, 'wide.jpg');
    await extractThumbnail(ffmpeg, SAMPLE, wide);
    const panorama = path.join(tmp, 'panorama.jpg');
    await makeContactSheet(ffmpeg, [wide, wide], panorama); // a 2:1-ish JPEG: a differently shaped input
    const sheet = path.join(tmp, 'sheet.jpg');
    const layout = await makeContactSheet(ffmpeg, [wide, panorama, wide, wide, wide, wide, wide], sheet);
    expect(layout).toEqual({ columns: 6, rows: 2, cellWidth: 320, cellHeight: 180 });
    // 6 cells of 320 + 5 gaps of 6 + 2 margins of 6; 2 rows likewise.
    expect(jpegSize(sheet)).toEqual({ width: 6 * 320 + 7 * 6, height: 2 * 180 + 3 * 6 });
    await expect(makeContactSheet(ffmpeg, [], sheet)).rejects.toThrow('at least one');
    await expect(makeContactSheet(ffmpeg, Array(MAX_SHEET_TILES + 1).fill(wide), sheet)).rejects.toThrow('at most');
  });
});

describe('withLocalFile', () => {
  test('the file backend hands out its own file', async () => {
    const storage = new FileStorage(tmp);
    await storage.writeText('b/v.mp4', 'video');
    const seen = await withLocalFile(storage, 'b/v.mp4', async (file) => file);
    expect(seen).toBe(path.join(tmp, 'b/v.mp4'));
  });

  test('S3 objects are streamed to a temporary file that is removed afterwards', async () => {
    const sent: { Bucket?: string; Key?: string }[] = [];
    const client = {
      send: async (cmd: { input: { Bucket?: string; Key?: string } }) => {
        sent.push(cmd.input);
        return { Body: Readable.from([Buffer.from('chunk-1 '), Buffer.from('chunk-2')]) };
      },
    } as unknown as S3Client;
    const storage = new S3Storage(client, 'bucket', 'renders');
    let seenFile = '';
    const text = await withLocalFile(
      storage,
      'board/s1.mp4',
      async (file) => {
        seenFile = file;
        expect(path.basename(file)).toBe('s1.mp4');
        return readFileSync(file, 'utf8');
      },
      { tmpDir: tmp },
    );
    expect(text).toBe('chunk-1 chunk-2');
    expect(sent).toEqual([{ Bucket: 'bucket', Key: 'renders/board/s1.mp4' }]);
    expect(existsSync(seenFile)).toBe(false);
    expect(existsSync(path.dirname(seenFile))).toBe(false);
  });

  test('a copy over maxBytes is refused and leaves no temporary file', async () => {
    const client = {
      send: async () => ({ ContentLength: 3, Body: Readable.from([Buffer.from('abc')]) }),
    } as unknown as S3Client;
    let called = false;
    await expect(
      withLocalFile(
        new S3Storage(client, 'bucket', ''),
        'k.mp4',
        async () => {
          called = true;
        },
        { tmpDir: tmp, maxBytes: 2 },
      ),
    ).rejects.toBeInstanceOf(ObjectTooLargeError);
    expect(called).toBe(false);
    // An object that claims less than it sends is cut off once the bytes pass the limit.
    const lying = {
      send: async () => ({ ContentLength: 1, Body: Readable.from([Buffer.from('ab'), Buffer.from('cd')]) }),
    } as unknown as S3Client;
    await expect(
      withLocalFile(new S3Storage(lying, 'bucket', ''), 'k.mp4', async () => (called = true), { tmpDir: tmp, maxBytes: 3 }),
    ).rejects.toBeInstanceOf(ObjectTooLargeError);
    expect(called).toBe(false);
    expect((await readdir(tmp)).filter((n) => n.startsWith('seedance-report-'))).toEqual([]);
  });

  test('the temporary file is removed when the work fails too', async () => {
    const client = { send: async () => ({ Body: Readable.from([Buffer.from('x')]) }) } as unknown as S3Client;
    let seenFile = '';
    await expect(
      withLocalFile(
        new S3Storage(client, 'bucket', ''),
        'k.mp4',
        async (file) => {
          seenFile = file;
          throw new Error('boom');
        },
        { tmpDir: tmp },
      ),
    ).rejects.toThrow('boom');
    expect(statSync(tmp).isDirectory()).toBe(true);
    expect(existsSync(seenFile)).toBe(false);
  });
});
