/**
 * The README's first command, as a new user runs it: a fresh clone in a temporary directory,
 * no configuration at all, `npm ci && npm run demo`. It must leave a manifest listing every
 * example shot stored and a report that loads in Chromium with nothing broken.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchChromium } from '../helpers/chromium';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '../..');
jest.setTimeout(20 * 60_000);

function readmeFirstCommand(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const block = /## Two commands on a fresh clone[\s\S]*?```bash\n([^\n]+)/.exec(readme)?.[1];
  if (!block) throw new Error('README has no first command');
  return block.replace(/\s+#.*$/, '').trim();
}

test('README first command from a fresh clone renders the example storyboard with a working report', async () => {
  const command = readmeFirstCommand();
  expect(command).toBe('npm ci && npm run demo');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-fresh-'));
  execFileSync('git', ['clone', '--quiet', ROOT, dir]);
  // Nothing configured: only what any shell has (and where the cached Temporal binary lives).
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.homedir(), LANG: 'C.UTF-8', CI: 'true' };
  if (process.env.SEEDANCE_CACHE_DIR) env.SEEDANCE_CACHE_DIR = process.env.SEEDANCE_CACHE_DIR;
  const output = execFileSync('bash', ['-c', `${command} 2>&1`], { cwd: dir, env, encoding: 'utf8', timeout: 15 * 60_000 });
  expect(output).toMatch(/SIMULATOR/); // announced plainly
  expect(output).toMatch(/Temporal UI/);

  const example = parse(readFileSync(path.join(ROOT, 'examples/lighthouse-keeper.yaml'), 'utf8')) as {
    id: string;
    shots: { id: string; continue_from?: string }[];
  };
  const boardDir = path.join(dir, 'renders', example.id);
  const manifest = JSON.parse(readFileSync(path.join(boardDir, 'manifest.json'), 'utf8')) as {
    shots: { shotId: string; status: string; key: string }[];
  };
  expect(manifest.shots.map((s) => [s.shotId, s.status])).toEqual(example.shots.map((s) => [s.id, 'stored']));
  for (const s of manifest.shots) expect(existsSync(path.join(dir, 'renders', s.key))).toBe(true);

  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const failed: string[] = [];
    page.on('requestfailed', (r) => {
      if (!(r.failure()?.errorText === 'net::ERR_ABORTED' && r.resourceType() === 'media')) failed.push(r.url());
    });
    const reportFile = path.join(boardDir, 'report.html');
    await page.goto(pathToFileURL(reportFile).href, { waitUntil: 'load' });
    const rows = await page.$$eval('article.shot', (els) =>
      els.map((el) => [el.getAttribute('data-shot-id'), el.getAttribute('data-status')]),
    );
    expect(rows).toEqual(example.shots.map((s) => [s.id, 'stored']));
    const imgs = page.locator('img');
    // Thumbnails, the contact sheet, and the stored last frame of each shot another continues from.
    const sources = new Set(example.shots.flatMap((s) => (s.continue_from ? [s.continue_from] : [])));
    expect(sources.size).toBeGreaterThan(0);
    expect(await imgs.count()).toBe(example.shots.length + 1 + sources.size);
    for (let i = 0; i < (await imgs.count()); i++) {
      await imgs.nth(i).scrollIntoViewIfNeeded();
      await page.waitForFunction((el) => (el as unknown as { complete: boolean }).complete, await imgs.nth(i).elementHandle());
      expect(await imgs.nth(i).evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
    }
    const targets = await page.$$eval('a[href], img[src], source[src]', (els) =>
      els.map((el) => el.getAttribute('href') ?? el.getAttribute('src') ?? ''),
    );
    for (const t of targets.filter((x) => !x.startsWith('#'))) {
      expect({ t, exists: existsSync(fileURLToPath(new URL(t, pathToFileURL(reportFile)))) }).toEqual({ t, exists: true });
    }
    expect(failed).toEqual([]);
  } finally {
    await browser.close();
  }
});
