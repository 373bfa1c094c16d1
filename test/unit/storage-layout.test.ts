/**
 * What people see on disk (issue 11, item 7): a storyboard's folder on the file backend
 * holds the videos, `manifest.json`, `report.html`, the contact sheet and `thumbs/`; the
 * bookkeeping (completion records in `.state/`, the stand-ins for S3 object metadata in
 * `.meta/`) is hidden. Folders written before that layout are still recognised: a re-run
 * skips their stored shots and the report reuses their thumbnails.
 *
 * Runs the real copy, storyboard and report activities against a FileStorage in a temp dir,
 * the videos served from a local HTTP server.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createReportActivities } from '../../activities/report/activities';
import { resolveFfmpegPath } from '../../activities/report/ffmpeg';
import { createCopyActivity, legacyRecordKey, recordKey, type CopyToStorageInput, type VideoRecord } from '../../activities/storage/copy';
import type { StoredObject } from '../../common/render';
import { createStoryboardActivities } from '../../activities/storyboard/activities';
import { storyboardKeys, type ManifestEntry } from '../../common/storyboard';
import { FileStorage, legacyMetadataKey, metadataKey } from '../../storage/fs';

const SAMPLE = path.resolve(__dirname, '../../simulator/assets/sample.mp4');
const VIDEO = readFileSync(SAMPLE);
const SHA = createHash('sha256').update(VIDEO).digest('hex');
const STAGED_PREFIX = 'sb/.state/input-0123456789abcdef';

let server: http.Server;
let base: string;
const hits: string[] = [];
let tmp: string;
let storage: FileStorage;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    hits.push(req.url ?? '/');
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': VIDEO.length });
    res.end(VIDEO);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sf-layout-'));
  storage = new FileStorage(tmp);
  hits.length = 0;
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** The real copy activity, storing `<shot>.mp4` of storyboard `sb` from the local server. */
function copyToStorage(shotId: string): Promise<StoredObject> {
  const { copyToStorage: copy } = createCopyActivity({
    storage,
    maxBytes: 64 * 1024 * 1024,
    fetchPolicy: { allowPrivateNetwork: true, allowHosts: [] },
  });
  return new MockActivityEnvironment().run<[CopyToStorageInput], StoredObject, typeof copy>(copy, {
    url: `${base}/videos/${shotId}.mp4`,
    key: storyboardKeys.video('sb', shotId),
    taskId: `cgt-${shotId}`,
    model: 'doubao-seedance-1-5-pro-251215',
    prompt: `prompt of ${shotId}`,
  });
}

/** Renders `shots` the way a storyboard run ends: copies, outcomes, manifest, report. */
async function render(shots: string[], ffmpegPath = resolveFfmpegPath()) {
  writeStagedPage(shots);
  const entries: ManifestEntry[] = [];
  for (const id of shots) {
    const stored = await copyToStorage(id);
    entries.push({ shotId: id, status: 'stored', key: stored.key, url: stored.url, sha256: stored.sha256, bytes: stored.bytes });
  }
  const board = createStoryboardActivities({ storage });
  await board.recordOutcomes({ storyboardId: 'sb', page: 0, entries });
  await board.writeManifest({ storyboardId: 'sb', totalShots: shots.length });
  return createReportActivities({ storage, ffmpegPath }).writeReport({
    storyboardId: 'sb',
    stagedPrefix: STAGED_PREFIX,
    totalShots: shots.length,
  });
}

function writeStagedPage(shots: string[]) {
  const file = path.join(tmp, storyboardKeys.stagedPage(STAGED_PREFIX, 0));
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(shots.map((id) => ({ id, shot: { prompt: `prompt of ${id}` } }))));
}

/** A folder's entries: what a person sees (no dot names) and what is hidden. */
async function listing(dir: string) {
  const names = (await readdir(path.join(tmp, dir))).sort();
  return { shown: names.filter((n) => !n.startsWith('.')), hidden: names.filter((n) => n.startsWith('.')) };
}

describe('a rendered storyboard folder shows what people open', () => {
  test('videos, manifest, report, contact sheet and thumbs/; bookkeeping in .state/ and .meta/', async () => {
    const report = await render(['s1', 's2', 's3']);
    expect(report.thumbnails).toBe(3);
    expect(await listing('sb')).toEqual({
      shown: ['contact-sheet.jpg', 'manifest.json', 'report.html', 's1.mp4', 's2.mp4', 's3.mp4', 'thumbs'],
      hidden: ['.meta', '.state'],
    });
    expect(await listing('sb/thumbs')).toEqual({ shown: ['s1.jpg', 's2.jpg', 's3.jpg'], hidden: ['.meta'] });
    // Nothing half-written anywhere, hidden folders included.
    const all = await readdir(path.join(tmp, 'sb'), { recursive: true });
    expect(all.filter((n) => n.includes('.partial-'))).toEqual([]);
  }, 60_000);

  test('where the bookkeeping is: records in <dir>/.state/, metadata in <dir>/.meta/', async () => {
    await render(['s1']);
    expect(recordKey('sb/s1.mp4')).toBe('sb/.state/s1.mp4.json');
    expect(metadataKey('sb/s1.mp4')).toBe('sb/.meta/s1.mp4.json');
    expect(metadataKey('sb/thumbs/s1.jpg')).toBe('sb/thumbs/.meta/s1.jpg.json');
    const record = JSON.parse(readFileSync(path.join(tmp, 'sb/.state/s1.mp4.json'), 'utf8')) as VideoRecord;
    expect(record).toMatchObject({ sha256: SHA, bytes: VIDEO.length, taskId: 'cgt-s1' });
    expect(JSON.parse(readFileSync(path.join(tmp, 'sb/.meta/s1.mp4.json'), 'utf8'))).toMatchObject({ 'task-id': 'cgt-s1' });
    expect(JSON.parse(readFileSync(path.join(tmp, 'sb/thumbs/.meta/s1.jpg.json'), 'utf8'))).toMatchObject({ 'video-sha256': SHA });
    expect(await listing('sb/.state')).toEqual({ shown: ['input-0123456789abcdef', 'outcomes-00000.json', 's1.mp4.json'], hidden: [] });
  }, 60_000);

  test('a re-run finds the new layout: the copy skips, the page marks the shot stored', async () => {
    await render(['s1']);
    hits.length = 0;
    expect(await copyToStorage('s1')).toMatchObject({ skipped: true, sha256: SHA });
    expect(hits).toEqual([]);
    const [s1] = await createStoryboardActivities({ storage }).loadShotPage({ storyboardId: 'sb', stagedPrefix: STAGED_PREFIX, page: 0 });
    expect(s1?.stored).toMatchObject({ shotId: 's1', taskId: 'cgt-s1', sha256: SHA, reused: true });
  }, 60_000);
});

describe('a folder from before the hidden layout is still recognised', () => {
  /** s1 as an earlier version left it: record and metadata beside the video, a thumbnail beside its metadata. */
  function oldFolder() {
    mkdirSync(path.join(tmp, 'sb', 'thumbs'), { recursive: true });
    writeFileSync(path.join(tmp, 'sb', 's1.mp4'), VIDEO);
    const record: VideoRecord = {
      sha256: SHA,
      bytes: VIDEO.length,
      taskId: 'cgt-old',
      model: 'doubao-seedance-1-5-pro-251215',
      promptSha256: 'p'.repeat(64),
      storedAt: '2026-01-01T00:00:00.000Z',
    };
    writeFileSync(path.join(tmp, legacyRecordKey('sb/s1.mp4')), JSON.stringify(record));
    writeFileSync(path.join(tmp, legacyMetadataKey('sb/s1.mp4')), JSON.stringify({ 'task-id': 'cgt-old' }));
    // Any JPEG will do: the report reuses a thumbnail whose metadata names the video's sha256.
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
    writeFileSync(path.join(tmp, 'sb', 'thumbs', 's1.jpg'), jpeg);
    writeFileSync(path.join(tmp, legacyMetadataKey('sb/thumbs/s1.jpg')), JSON.stringify({ 'video-sha256': SHA, 'video-seconds': '2' }));
  }

  test('the copy skips a shot stored by an earlier run, without a download', async () => {
    oldFolder();
    const result = await copyToStorage('s1');
    expect(result).toEqual({ key: 'sb/s1.mp4', url: storage.urlOf('sb/s1.mp4'), sha256: SHA, bytes: VIDEO.length, skipped: true });
    expect(hits).toEqual([]);
    expect(await storage.stat('sb/s1.mp4')).toEqual({ bytes: VIDEO.length, metadata: { 'task-id': 'cgt-old' } });
  });

  test('a re-run of the storyboard reuses the stored shot', async () => {
    oldFolder();
    writeStagedPage(['s1', 's2']);
    const [s1, s2] = await createStoryboardActivities({ storage }).loadShotPage({
      storyboardId: 'sb',
      stagedPrefix: STAGED_PREFIX,
      page: 0,
    });
    expect(s1?.stored).toMatchObject({ shotId: 's1', status: 'stored', taskId: 'cgt-old', sha256: SHA, reused: true });
    expect(s2?.stored).toBeUndefined();
  });

  test("the report reuses the earlier run's thumbnail (no ffmpeg needed)", async () => {
    oldFolder();
    const entries: ManifestEntry[] = [{ shotId: 's1', status: 'stored', key: 'sb/s1.mp4', sha256: SHA, bytes: VIDEO.length }];
    await storage.writeText(storyboardKeys.outcomePage('sb', 0), JSON.stringify(entries), 'application/json');
    await createStoryboardActivities({ storage }).writeManifest({ storyboardId: 'sb', totalShots: 1 });
    writeStagedPage(['s1']);
    const report = await createReportActivities({ storage, ffmpegPath: path.join(tmp, 'no-ffmpeg') }).writeReport({
      storyboardId: 'sb',
      stagedPrefix: STAGED_PREFIX,
      totalShots: 1,
    });
    expect(report.thumbnails).toBe(1);
    expect(readFileSync(path.join(tmp, 'sb', 'report.html'), 'utf8')).toContain('thumbs/s1.jpg');
  });

  test('a new shot copied into an old folder lands in the new layout; the old files stay as they were', async () => {
    oldFolder();
    await copyToStorage('s2');
    expect(await listing('sb')).toEqual({
      shown: ['s1.mp4', 's1.mp4.json', 's1.mp4.metadata.json', 's2.mp4', 'thumbs'],
      hidden: ['.meta', '.state'],
    });
  });
});
