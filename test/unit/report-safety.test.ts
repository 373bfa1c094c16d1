/**
 * The report is output to people from input others may write (the manifest in storage, the
 * videos the provider made): every field is escaped, the manifest is validated before use,
 * and ffmpeg opens only local MP4 files, never what a hostile "video" points it to.
 */
import { ApplicationFailure } from '@temporalio/common';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { INVALID_MANIFEST, createReportActivities, parseManifest } from '../../activities/report/activities';
import { FfmpegError, extractThumbnail, resolveFfmpegPath } from '../../activities/report/ffmpeg';
import { renderReportHtml, type ReportShot } from '../../activities/report/html';
import { FileStorage } from '../../storage/fs';

const SAMPLE = path.resolve(__dirname, '../../simulator/assets/sample.mp4');
const PNG = path.resolve(__dirname, '../fixtures/first-frame.png');
const INJECTION = '"><img src=x onerror=alert(1)><script>alert(2)</script>';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sf-report-safety-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('report HTML escapes every field', () => {
  test('a status that is not one of ours is escaped too', () => {
    const shot = { shotId: 's1', status: INJECTION, prompt: 'p' } as unknown as ReportShot;
    const html = renderReportHtml({
      storyboardId: 'sb',
      totalShots: 1,
      generatedAt: '2026-02-01T10:01:00.000Z',
      manifestHref: 'manifest.json',
      shots: [shot],
    });
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;img src=x');
  });
});

describe('the manifest is validated before the report reads it', () => {
  const entry = { shotId: 's1', status: 'stored', key: 'sb/s1.mp4', sha256: 'a'.repeat(64), bytes: 10 };
  const manifest = (shots: unknown[], extra: object = {}) =>
    JSON.stringify({ storyboardId: 'sb', writtenAt: '2026-02-01T10:00:00Z', shots, ...extra });
  const failure = (fn: () => unknown): ApplicationFailure => {
    try {
      fn();
    } catch (err) {
      return err as ApplicationFailure;
    }
    throw new Error('expected a failure');
  };

  test('a valid manifest parses, unknown fields and all', () => {
    const m = parseManifest(
      manifest([entry, { shotId: 's2', status: 'failed', failureType: 'TaskFailed', failureMessage: 'x', extra: 1 }]),
      'sb',
      'file:///m.json',
    );
    expect(m.shots.map((s) => s.shotId)).toEqual(['s1', 's2']);
  });

  test.each([
    ['not JSON', '{"storyboardId":'],
    ['not an object', '[]'],
    ['no shots', JSON.stringify({ storyboardId: 'sb' })],
    ['a status the page does not know', manifest([{ ...entry, status: INJECTION }])],
    ['a shot id that would become a path', manifest([{ ...entry, shotId: '../../other/thumbs/x' }])],
    ['a key that names no video', manifest([{ ...entry, key: 'other-board/manifest.json' }])],
    ['a key with ..', manifest([{ ...entry, key: '../../etc/passwd.mp4' }])],
    ['bytes that are not a number', manifest([{ ...entry, bytes: '<b>10</b>' }])],
    ['a sha256 that is not one', manifest([{ ...entry, sha256: INJECTION }])],
    ["another storyboard's manifest", JSON.stringify({ storyboardId: 'other', shots: [entry] })],
  ])('%s: a clear, non-retryable InvalidManifest failure', (_what, text) => {
    const err = failure(() => parseManifest(text, 'sb', 'file:///r/sb/manifest.json'));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err.type).toBe(INVALID_MANIFEST);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('file:///r/sb/manifest.json is not a valid manifest');
    expect(err.message.length).toBeLessThan(1500);
  });

  test('writeReport refuses a hostile manifest instead of writing it into the page', async () => {
    const storage = new FileStorage(path.join(tmp, 'store'));
    await storage.writeText('sb/manifest.json', manifest([{ shotId: 's1', status: INJECTION }]), 'application/json');
    const { writeReport } = createReportActivities({ storage, ffmpegPath: resolveFfmpegPath() });
    await expect(writeReport({ storyboardId: 'sb', stagedPrefix: 'sb/.state/input-00000000', totalShots: 1 })).rejects.toMatchObject({
      type: INVALID_MANIFEST,
    });
    expect(existsSync(storage.pathOf('sb/report.html'))).toBe(false);
  });

  test('malformed staged pages cost the report its prompts, not the report', async () => {
    const storage = new FileStorage(path.join(tmp, 'store2'));
    await storage.writeText(
      'sb/manifest.json',
      manifest([{ shotId: 's1', status: 'failed', failureType: 'TaskFailed' }]),
      'application/json',
    );
    await storage.writeText(
      'sb/.state/input-00000000/page-00000.json',
      JSON.stringify([{ id: 's1', shot: { prompt: 42, model: {} } }, 'x', null]),
      'application/json',
    );
    const { writeReport } = createReportActivities({ storage, ffmpegPath: resolveFfmpegPath() });
    const result = await writeReport({ storyboardId: 'sb', stagedPrefix: 'sb/.state/input-00000000', totalShots: 1 });
    expect(readFileSync(storage.pathOf(result.reportKey), 'utf8')).toContain('prompt not found');
  });
});

describe("the report's ffmpeg opens only local MP4 files", () => {
  const ffmpeg = resolveFfmpegPath();
  let server: Server;
  let requests: string[];
  let base: string;
  beforeAll(async () => {
    requests = [];
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  test('a real MP4 still makes a thumbnail', async () => {
    await expect(extractThumbnail(ffmpeg, SAMPLE, path.join(tmp, 'ok.jpg'))).resolves.toEqual(expect.any(Object));
  });

  test('an image named .mp4 is not decoded as one', async () => {
    const fake = path.join(tmp, 'image.mp4');
    await writeFile(fake, readFileSync(PNG));
    await expect(extractThumbnail(ffmpeg, fake, path.join(tmp, 'image.jpg'))).rejects.toBeInstanceOf(FfmpegError);
  });

  test('an HLS playlist posing as the video opens no other local file', async () => {
    // A segment ffmpeg could decode: another video on the worker's disk.
    const other = path.join(tmp, 'other-video.ts');
    execFileSync(ffmpeg, ['-nostdin', '-loglevel', 'error', '-y', '-i', SAMPLE, '-c:v', 'mpeg2video', '-an', '-f', 'mpegts', other]);
    const playlist = path.join(tmp, 'playlist.mp4');
    await writeFile(playlist, `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n${other}\n#EXT-X-ENDLIST\n`);
    const err = await extractThumbnail(ffmpeg, playlist, path.join(tmp, 'playlist.jpg')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FfmpegError);
    expect((err as FfmpegError).stderr).not.toContain(other);
  });

  test('a playlist or concat list pointing at URLs fetches nothing', async () => {
    const hls = path.join(tmp, 'remote.mp4');
    await writeFile(hls, `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n${base}/segment.ts\n#EXT-X-ENDLIST\n`);
    const concat = path.join(tmp, 'concat.mp4');
    await writeFile(concat, `ffconcat version 1.0\nfile ${base}/part.mp4\n`);
    for (const f of [hls, concat]) {
      const err = await extractThumbnail(ffmpeg, f, `${f}.jpg`).then(
        () => undefined,
        (e: unknown) => e as FfmpegError,
      );
      expect(err).toBeInstanceOf(FfmpegError);
      expect(err?.stderr).not.toContain(base);
    }
    expect(requests).toEqual([]);
  });
});
