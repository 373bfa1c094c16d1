/**
 * The storyboard report end to end on the filesystem backend, opened in headless Chromium:
 * real MP4s, a failed and a not-started shot, the staged page and the manifest written as
 * the workflow writes them; then every row, image, video and link is checked in the browser.
 *
 * Needs no Temporal, MinIO or simulator. Needs /usr/bin/chromium: beforeAll runs
 * scripts/ensure-chromium.sh, which installs Debian's package when it is missing.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/chromium';
import { createReportActivities, reportKeys, type WriteReportResult } from '../../activities/report/activities';
import { MAX_SHEET_TILES } from '../../activities/report/ffmpeg';
import { FileStorage } from '../../storage/fs';
import { createStoryboardActivities } from '../../activities/storyboard/activities';
import { STAGE_PAGE_SIZE, storyboardKeys, type ManifestEntry, type StagedShot } from '../../common/storyboard';

const ROOT = path.resolve(__dirname, '../..');
const SAMPLE = path.join(ROOT, 'simulator/assets/sample.mp4');
/** What a person sees; then with every player opened and loaded. */
const SCREENSHOT = '/tmp/report.png';
const SCREENSHOT_PLAYERS = '/tmp/report-players.png';

// The few browser globals the page functions below use (tsconfig has no DOM lib).
interface MediaLike {
  readyState: number;
  error: { code: number } | null;
  duration: number;
  preload: string;
  load(): void;
  addEventListener(type: string, fn: () => void, opts?: { once: boolean }): void;
  closest(selector: string): { open: boolean } | null;
  querySelector(selector: string): { addEventListener(type: string, fn: () => void, opts?: { once: boolean }): void } | null;
}
declare const document: { createElement(tag: 'video'): { canPlayType(type: string): string } };
declare const window: { scrollTo(x: number, y: number): void };

const NASTY_PROMPT = `Wide shot of a lighthouse <script>document.title="pwned"</script> & "quotes" 'too'\nsecond line`;

interface Fixture {
  dir: string;
  storage: FileStorage;
  storyboardId: string;
  stagedPrefix: string;
  totalShots: number;
}

/** Writes videos, the staged page, the outcome page and the manifest as renderStoryboard does. */
async function makeStoryboard(
  storyboardId: string,
  shots: {
    id: string;
    shot: StagedShot['shot'];
    outcome: 'stored' | 'failed' | 'not_started';
    video?: string | Buffer;
    extra?: Partial<ManifestEntry>;
  }[],
): Promise<Fixture> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sf-report-'));
  const storage = new FileStorage(dir);
  const stagedPrefix = `${storyboardId}/.state/input-0123456789abcdef`;
  const pages = Math.ceil(shots.length / STAGE_PAGE_SIZE);
  for (let page = 0; page < pages; page++) {
    const slice = shots.slice(page * STAGE_PAGE_SIZE, (page + 1) * STAGE_PAGE_SIZE);
    await storage.writeText(storyboardKeys.stagedPage(stagedPrefix, page), JSON.stringify(slice.map(({ id, shot }) => ({ id, shot }))));
  }
  const entries: ManifestEntry[] = [];
  for (const [i, s] of shots.entries()) {
    if (s.outcome !== 'stored') {
      entries.push({ shotId: s.id, status: s.outcome, ...s.extra });
      continue;
    }
    const key = storyboardKeys.video(storyboardId, s.id);
    const bytes = typeof s.video === 'string' ? readFileSync(s.video) : (s.video as Buffer);
    const body = typeof s.video === 'string' ? createReadStream(s.video) : createReadStream(await tempFile(bytes));
    await storage.upload(key, body, { contentType: 'video/mp4', metadata: { 'task-id': `cgt-${i}` } });
    entries.push({
      shotId: s.id,
      status: 'stored',
      taskId: `cgt-2026-${i}`,
      key,
      url: storage.urlOf(key),
      sha256: createHash('sha256').update(bytes).digest('hex'),
      bytes: bytes.length,
      seed: 1000 + i,
      usage: { completionTokens: 100 * (i + 1), totalTokens: 100 * (i + 1) },
      ...s.extra,
    });
  }
  const board = createStoryboardActivities({ storage });
  for (let page = 0; page < pages; page++) {
    await board.recordOutcomes({ storyboardId, page, entries: entries.slice(page * STAGE_PAGE_SIZE, (page + 1) * STAGE_PAGE_SIZE) });
  }
  await board.writeManifest({ storyboardId, totalShots: shots.length });
  return { dir, storage, storyboardId, stagedPrefix, totalShots: shots.length };
}

async function tempFile(bytes: Buffer): Promise<string> {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'sf-bytes-')), 'video.mp4');
  await writeFile(file, bytes);
  return file;
}

describe('storyboard report', () => {
  let browser: Browser | undefined;
  const cleanup: string[] = [];

  beforeAll(async () => {
    browser = await launchChromium();
  }, 16 * 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
  });

  test('report.html shows every shot in order with working thumbnails, videos and links', async () => {
    const fx = await makeStoryboard('report-demo', [
      { id: 's01-establishing', shot: { prompt: NASTY_PROMPT, duration: 5, ratio: '16:9' }, outcome: 'stored', video: SAMPLE },
      {
        id: 's02-close-up',
        shot: { prompt: 'Close-up of the keeper', model: 'doubao-seedance-2-0-fast-260128', duration: 4 },
        outcome: 'stored',
        video: SAMPLE,
      },
      {
        id: 's03-storm',
        shot: { prompt: 'A storm rolls in', frames: 121 },
        outcome: 'failed',
        extra: {
          failureType: 'ContentPolicyViolation',
          failureMessage: 'Output blocked <b>by</b> moderation & "policy"',
          taskId: 'cgt-failed-1',
        },
      },
      {
        id: 's04-dawn',
        shot: { prompt: 'Dawn over the sea', duration: -1, seed: 42 },
        outcome: 'stored',
        video: SAMPLE,
        extra: { reused: true },
      },
      { id: 's05-epilogue', shot: { prompt: 'Epilogue: the light goes out' }, outcome: 'not_started' },
    ]);
    cleanup.push(fx.dir);

    // Called outside an activity: no context, no heartbeat, no throw.
    const result = await createReportActivities({ storage: fx.storage }).writeReport({
      storyboardId: fx.storyboardId,
      stagedPrefix: fx.stagedPrefix,
      totalShots: fx.totalShots,
    });
    expect(result).toEqual({
      reportKey: 'report-demo/report.html',
      reportUrl: fx.storage.urlOf('report-demo/report.html'),
      contactSheetKey: 'report-demo/contact-sheet.jpg',
      thumbnails: 3,
    });
    const reportFile = fx.storage.pathOf(result.reportKey);
    const reportDir = path.dirname(reportFile);
    for (const id of ['s01-establishing', 's02-close-up', 's04-dawn']) {
      expect(statSync(fx.storage.pathOf(reportKeys.thumbnail(fx.storyboardId, id))).size).toBeGreaterThan(500);
    }
    expect(existsSync(path.join(reportDir, 'thumbs', 's03-storm.jpg'))).toBe(false);
    expect(statSync(fx.storage.pathOf('report-demo/contact-sheet.jpg')).size).toBeGreaterThan(1000);

    const html = readFileSync(reportFile, 'utf8');
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain(fx.dir); // nothing absolute: the folder can move
    expect(html).not.toMatch(/(?:src|href|poster)="(?:[a-z][a-z0-9+.-]*:|\/)/i);

    const page = await (browser as Browser).newPage({ viewport: { width: 1200, height: 900 } });
    const failedRequests: string[] = [];
    const consoleErrors: string[] = [];
    page.on('requestfailed', (r) => {
      const why = r.failure()?.errorText ?? '';
      // Chromium cancels a video's range request once it has the metadata it wanted: not a broken link.
      if (why === 'net::ERR_ABORTED' && r.resourceType() === 'media') return;
      failedRequests.push(`${r.url()} ${why}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    const reportUrl = pathToFileURL(reportFile).href;
    await page.goto(reportUrl, { waitUntil: 'load' });

    // Escaped text shows as text; nothing ran.
    expect(await page.title()).toBe('Storyboard report-demo — report');
    expect(await page.locator('script').count()).toBe(0);

    // Every shot, in storyboard order, with its status.
    const rows = await page.$$eval('article.shot', (els) =>
      els.map((el) => ({
        id: el.getAttribute('data-shot-id'),
        status: el.getAttribute('data-status'),
        title: el.querySelector('h3')?.textContent,
        badge: el.querySelector('.badge')?.textContent,
      })),
    );
    expect(rows).toEqual([
      { id: 's01-establishing', status: 'stored', title: 's01-establishing', badge: 'stored' },
      { id: 's02-close-up', status: 'stored', title: 's02-close-up', badge: 'stored' },
      { id: 's03-storm', status: 'failed', title: 's03-storm', badge: 'failed' },
      { id: 's04-dawn', status: 'stored', title: 's04-dawn', badge: 'stored' },
      { id: 's05-epilogue', status: 'not_started', title: 's05-epilogue', badge: 'not started' },
    ]);
    expect(await page.locator('#shot-s01-establishing .prompt').textContent()).toBe(NASTY_PROMPT);
    expect(await page.locator('#shot-s03-storm .failure').textContent()).toBe(
      'ContentPolicyViolation: Output blocked <b>by</b> moderation & "policy"',
    );
    expect(await page.locator('#shot-s02-close-up dl').textContent()).toContain('doubao-seedance-2-0-fast-260128');
    expect(await page.locator('#shot-s01-establishing dl').textContent()).toContain('doubao-seedance-1-5-pro-251215 (default)');
    expect(await page.locator('#shot-s01-establishing dl').textContent()).toContain('2.0 s (asked 5 s)');

    // Totals at the top.
    const totals = Object.fromEntries(
      await page.$$eval('.totals .stat', (els) =>
        els.map((el) => [el.getAttribute('data-total'), el.querySelector('.value')?.textContent]),
      ),
    );
    const sampleBytes = statSync(SAMPLE).size;
    expect(totals).toEqual({
      total: '5',
      stored: '3',
      failed: '1',
      not_started: '1',
      tokens: (100 + 200 + 400).toString(),
      // The staged shots' estimates (stored and failed ones); this manifest's hand-written usage
      // (100-400 tokens) is far below them, so all three stored shots are flagged.
      estimated: '565,200',
      'off-estimate': '3',
      bytes: `${((3 * sampleBytes) / 1024).toFixed(1)} KiB`,
    });

    // Every image loads (placeholders are not images); lazy ones are scrolled into view first.
    const imgs = page.locator('img');
    expect(await imgs.count()).toBe(4); // contact sheet + 3 thumbnails
    for (let i = 0; i < (await imgs.count()); i++) {
      const img = imgs.nth(i);
      await img.scrollIntoViewIfNeeded();
      await page.waitForFunction((el) => (el as unknown as { complete: boolean }).complete, await img.elementHandle());
      expect(await img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    }
    expect(await page.locator('[data-placeholder]').count()).toBe(2);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Every video loads its metadata where Chromium can decode H.264.
    const videos = page.locator('video');
    expect(await videos.count()).toBe(3);
    const h264 = await page.evaluate(() => document.createElement('video').canPlayType('video/mp4; codecs="avc1.42E01E"'));
    for (let i = 0; i < (await videos.count()); i++) {
      const state = await videos.nth(i).evaluate(
        (el) =>
          new Promise<{ readyState: number; error: number | null; duration: number }>((resolve) => {
            const v = el as unknown as MediaLike;
            (v.closest('details') as { open: boolean }).open = true;
            const done = () => resolve({ readyState: v.readyState, error: v.error?.code ?? null, duration: v.duration });
            v.addEventListener('loadedmetadata', done, { once: true });
            v.addEventListener('error', done, { once: true });
            v.querySelector('source')?.addEventListener('error', done, { once: true });
            v.preload = 'metadata';
            v.load();
          }),
      );
      if (h264) {
        expect(state.error).toBeNull();
        expect(state.readyState).toBeGreaterThanOrEqual(1);
        expect(state.duration).toBeCloseTo(2, 0);
      }
    }

    // Every link and source is relative and its target exists beside the report.
    const targets = await page.$$eval('a[href], img[src], source[src], video[poster]', (els) =>
      els.map((el) => el.getAttribute('href') ?? el.getAttribute('src') ?? el.getAttribute('poster') ?? ''),
    );
    expect(targets.length).toBeGreaterThan(10);
    for (const target of targets) {
      if (target.startsWith('#')) {
        expect(await page.locator(`[id="${target.slice(1)}"]`).count()).toBe(1);
        continue;
      }
      expect(target).not.toMatch(/^(?:[a-z][a-z0-9+.-]*:|\/)/i);
      const file = fileURLToPath(new URL(target, reportUrl));
      expect(file.startsWith(reportDir + path.sep)).toBe(true);
      expect({ target, exists: existsSync(file) }).toEqual({ target, exists: true });
    }
    expect(targets).toEqual(expect.arrayContaining(['manifest.json', 'contact-sheet.jpg', 's01-establishing.mp4', 'thumbs/s04-dawn.jpg']));

    expect(failedRequests).toEqual([]);
    expect(consoleErrors).toEqual([]);

    await page.screenshot({ path: SCREENSHOT_PLAYERS, fullPage: true });
    await page.close();
  }, 120_000);

  test('an undecodable video gets a placeholder, a re-run reuses thumbnails, and the report is rewritten', async () => {
    const random = Buffer.alloc(256 * 1024);
    for (let i = 0; i < random.length; i++) random[i] = (i * 7919 + 13) % 251;
    const fx = await makeStoryboard('report-bad-video', [
      { id: 'good', shot: { prompt: 'fine' }, outcome: 'stored', video: SAMPLE },
      { id: 'noise', shot: { prompt: 'random bytes' }, outcome: 'stored', video: random },
    ]);
    cleanup.push(fx.dir);
    const { writeReport } = createReportActivities({ storage: fx.storage });
    const input = { storyboardId: fx.storyboardId, stagedPrefix: fx.stagedPrefix, totalShots: fx.totalShots };

    // Inside an activity it heartbeats {done, total}.
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const first: WriteReportResult = await env.run(writeReport, input);
    expect(beats[0]).toEqual({ done: 0, total: 2 });
    expect(beats).toContainEqual({ done: 2, total: 2 });
    expect(first.thumbnails).toBe(1);
    expect(first.contactSheetKey).toBe('report-bad-video/contact-sheet.jpg');
    const html = readFileSync(fx.storage.pathOf(first.reportKey), 'utf8');
    expect(html).toMatch(/data-placeholder="true"[^>]*aria-label="No preview: ffmpeg could not decode the video/);
    expect(html).toContain('<source src="noise.mp4" type="video/mp4">'); // still playable/downloadable
    expect(html).not.toContain(fx.dir);
    const thumb = fx.storage.pathOf(reportKeys.thumbnail(fx.storyboardId, 'good'));
    const madeAt = statSync(thumb).mtimeMs;

    // A second run (an activity retry) reuses the thumbnail made from the same video.
    const second = await writeReport(input);
    expect(second).toEqual(first);
    expect(statSync(thumb).mtimeMs).toBe(madeAt);
  }, 60_000);

  test('past maxThumbnails, stored shots keep their video link and say why they have no thumbnail', async () => {
    const fx = await makeStoryboard(
      'report-thumb-cap',
      ['a', 'b', 'c', 'd'].map((id) => ({ id, shot: { prompt: `shot ${id}` }, outcome: 'stored' as const, video: SAMPLE })),
    );
    cleanup.push(fx.dir);
    const { writeReport } = createReportActivities({ storage: fx.storage, maxThumbnails: 2 });
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const result: WriteReportResult = await env.run(writeReport, {
      storyboardId: fx.storyboardId,
      stagedPrefix: fx.stagedPrefix,
      totalShots: fx.totalShots,
    });
    expect(result.thumbnails).toBe(2);
    expect(beats).toContainEqual({ done: 2, total: 2 });
    const html = readFileSync(fx.storage.pathOf(result.reportKey), 'utf8');
    expect(html.match(/<img class="thumb"/g)).toHaveLength(2);
    expect(html.match(/aria-label="No preview: no thumbnail: a report makes them for the first 2 stored shots"/g)).toHaveLength(2);
    for (const id of ['c', 'd']) expect(html).toContain(`<source src="${id}.mp4" type="video/mp4">`);
    expect(existsSync(fx.storage.pathOf(reportKeys.thumbnail(fx.storyboardId, 'c')))).toBe(false);
  }, 60_000);

  test(`a large storyboard: the contact sheet is capped at ${MAX_SHEET_TILES} tiles and the page says so`, async () => {
    const count = MAX_SHEET_TILES + 5;
    const fx = await makeStoryboard(
      'report-large',
      Array.from({ length: count }, (_, i) => ({
        id: `s${String(i).padStart(4, '0')}`,
        shot: { prompt: `shot ${i}` },
        outcome: 'stored' as const,
        video: SAMPLE,
      })),
    );
    cleanup.push(fx.dir);
    const started = Date.now();
    const result = await createReportActivities({ storage: fx.storage }).writeReport({
      storyboardId: fx.storyboardId,
      stagedPrefix: fx.stagedPrefix,
      totalShots: fx.totalShots,
    });
    expect(result.thumbnails).toBe(count);
    const html = readFileSync(fx.storage.pathOf(result.reportKey), 'utf8');
    expect(html).toContain(`The first ${MAX_SHEET_TILES} of ${count} thumbnails`);
    expect(html.match(/<article /g)).toHaveLength(count);
    expect(existsSync(fx.storage.pathOf(storyboardKeys.stagedPage(fx.stagedPrefix, 2)))).toBe(true);
    expect(html).toContain('<p class="prompt">shot 204</p>'); // from the third staged page
    console.log(`report of ${count} shots in ${Date.now() - started} ms`);
  }, 120_000);
});
