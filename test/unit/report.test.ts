import { shotView } from '../../activities/report/activities';
import {
  escapeHtml,
  formatBytes,
  relativeHref,
  renderReportHtml,
  reportTotals,
  type ReportShot,
  type ReportView,
} from '../../activities/report/html';

const stored = (id: string, extra: Partial<ReportShot> = {}): ReportShot => ({
  shotId: id,
  status: 'stored',
  prompt: `prompt of ${id}`,
  model: 'doubao-seedance-1-5-pro-251215',
  seed: 7,
  tokens: 1000,
  bytes: 2048,
  video: `${id}.mp4`,
  thumbnail: `thumbs/${id}.jpg`,
  ...extra,
});

function view(shots: ReportShot[], extra: Partial<ReportView> = {}): ReportView {
  return {
    storyboardId: 'board-1',
    totalShots: shots.length,
    manifestWrittenAt: '2026-02-01T10:00:00.000Z',
    generatedAt: '2026-02-01T10:01:00.000Z',
    manifestHref: 'manifest.json',
    shots,
    ...extra,
  };
}

/** The `<article>` of one shot. */
function article(html: string, id: string): string {
  const m = new RegExp(`<article [^>]*data-shot-id="${id}"[\\s\\S]*?</article>`).exec(html);
  if (!m) throw new Error(`no article for ${id}`);
  return m[0];
}

describe('report HTML', () => {
  test('escapeHtml escapes the five special characters', () => {
    expect(escapeHtml(`<a href="x">Tom & 'Jerry'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;');
    expect(escapeHtml(42)).toBe('42');
  });

  test('every text is escaped: prompt, ids, model, failure reason, task id', () => {
    const html = renderReportHtml(
      view([
        stored('s1', { prompt: '<script>alert(1)</script> & "q"', model: 'm<1>', taskId: 't"><img src=x onerror=alert(1)>' }),
        { shotId: 's2', status: 'failed', failureType: 'Task<Failed>', failureMessage: 'bad </article><b>x</b>' },
      ]),
    );
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<b>x</b>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;');
    expect(html).toContain('m&lt;1&gt;');
    expect(html).toContain('Task&lt;Failed&gt;');
    expect(html).toContain('bad &lt;/article&gt;&lt;b&gt;x&lt;/b&gt;');
    expect(html).toMatch(/<title>Storyboard board-1 — report<\/title>/);
  });

  test('links are relative to the storyboard folder only', () => {
    const html = renderReportHtml(
      view([stored('s1'), stored('s2')], { contactSheet: { href: 'contact-sheet.jpg', tiles: ['s1', 's2'], thumbnails: 2 } }),
    );
    const targets = [...html.matchAll(/(?:href|src|poster)="([^"]*)"/g)].map((m) => m[1] as string);
    expect(targets.length).toBeGreaterThan(6);
    for (const t of targets) expect(t).toMatch(/^(?:#shot-[\w-]+|[\w.-]+(?:\/[\w.-]+)?)$/);
    expect(targets).toEqual(
      expect.arrayContaining(['manifest.json', 'contact-sheet.jpg', 's1.mp4', 'thumbs/s1.jpg', 's2.mp4', 'thumbs/s2.jpg', '#shot-s1']),
    );
    const s1 = article(html, 's1');
    expect(s1).toContain('<source src="s1.mp4" type="video/mp4">');
    expect(s1).toContain('poster="thumbs/s1.jpg"');
    expect(s1).toContain('<img class="thumb" src="thumbs/s1.jpg"');
    expect(relativeHref('thumbs', 'a b#c.jpg')).toBe('thumbs/a%20b%23c.jpg');
  });

  test('totals: stored / failed / not started, tokens, bytes of stored videos', () => {
    const shots: ReportShot[] = [
      stored('a', { tokens: 1500, bytes: 3 * 1024 * 1024 }),
      stored('b', { tokens: 500, bytes: 1024 * 1024 }),
      { shotId: 'c', status: 'failed', tokens: 250, failureType: 'TaskFailed' },
      { shotId: 'd', status: 'not_started' },
    ];
    expect(reportTotals(shots)).toEqual({
      shots: 4,
      stored: 2,
      failed: 1,
      not_started: 1,
      tokens: 2250,
      estimatedTokens: 0,
      offEstimate: 0,
      bytes: 4 * 1024 * 1024,
    });
    const html = renderReportHtml(view(shots, { totalShots: 4 }));
    const stat = (kind: string) =>
      new RegExp(`data-total="${kind}"[^>]*><span class="label">[^<]*</span><span class="value">([^<]*)</span>`).exec(html)?.[1];
    expect(stat('total')).toBe('4');
    expect(stat('stored')).toBe('2');
    expect(stat('failed')).toBe('1');
    expect(stat('not_started')).toBe('1');
    expect(stat('tokens')).toBe('2,250');
    expect(stat('bytes')).toBe('4.0 MiB');
    expect(html).toContain('title="4,194,304 bytes"');
  });

  test('shots appear in the given (storyboard) order', () => {
    const ids = ['z-last-alphabetically', 'a-first', 'm-middle'];
    const html = renderReportHtml(view(ids.map((id) => stored(id))));
    expect([...html.matchAll(/data-shot-id="([^"]+)"/g)].map((m) => m[1])).toEqual(ids);
  });

  test('a failed shot shows its type and reason, a placeholder and no player', () => {
    const html = renderReportHtml(
      view([
        {
          shotId: 'f1',
          status: 'failed',
          prompt: 'p',
          failureType: 'ContentPolicyViolation',
          failureMessage: 'blocked by moderation',
          taskId: 'cgt-1',
        },
      ]),
    );
    const a = article(html, 'f1');
    expect(a).toContain('data-status="failed"');
    expect(a).toContain('<span class="badge badge-failed">failed</span>');
    expect(a).toContain('<strong>ContentPolicyViolation</strong>: <span class="reason">blocked by moderation</span>');
    expect(a).toContain('data-placeholder="true"');
    expect(a).not.toContain('<video');
    expect(a).not.toContain('<img');
    expect(a).not.toContain('.mp4');
    expect(a).toContain('<code>cgt-1</code>');
  });

  test('a not-started shot says so, with a placeholder and no player', () => {
    const html = renderReportHtml(view([{ shotId: 'n1', status: 'not_started', prompt: 'later' }]));
    const a = article(html, 'n1');
    expect(a).toContain('<span class="badge badge-not_started">not started</span>');
    expect(a).toContain('aria-label="Not started: no video"');
    expect(a).toContain('Not started: the storyboard stopped launching shots');
    expect(a).not.toContain('<video');
  });

  test('a stored video without a thumbnail gets a placeholder with the reason, and keeps its player', () => {
    const html = renderReportHtml(
      view([stored('u1', { thumbnail: undefined, thumbnailNote: 'ffmpeg could not decode the video (exit code 1): Invalid data' })]),
    );
    const a = article(html, 'u1');
    expect(a).toContain('aria-label="No preview: ffmpeg could not decode the video (exit code 1): Invalid data"');
    expect(a).not.toContain('<img');
    expect(a).not.toContain('poster=');
    expect(a).toContain('<source src="u1.mp4" type="video/mp4">');
  });

  test('contact sheet: tile order listed, a cap is said, a missing sheet is explained', () => {
    const capped = renderReportHtml(
      view([stored('a'), stored('b')], { contactSheet: { href: 'contact-sheet.jpg', tiles: ['a'], thumbnails: 250 } }),
    );
    expect(capped).toContain('The first 1 of 250 thumbnails');
    expect(capped).toContain('(the sheet is capped)');
    const whole = renderReportHtml(view([stored('a')], { contactSheet: { href: 'contact-sheet.jpg', tiles: ['a'], thumbnails: 1 } }));
    expect(whole).toContain('1 thumbnail, in storyboard order');
    expect(whole).not.toContain('capped');
    const none = renderReportHtml(view([stored('a')], { contactSheetNote: 'No thumbnails, so no contact sheet.' }));
    expect(none).toContain('<p class="note">No thumbnails, so no contact sheet.</p>');
    expect(none).not.toContain('contact-sheet.jpg');
  });

  test('a manifest shorter than the storyboard is flagged', () => {
    expect(renderReportHtml(view([stored('a')], { totalShots: 3 }))).toContain('The manifest lists 1 of 3 shots.');
  });

  test('the page is self-contained: no external assets, no scripts', () => {
    const html = renderReportHtml(view([stored('a')]));
    expect(html).not.toMatch(/<script|<link |@import|url\(|https?:\/\//i);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<meta charset="utf-8">');
  });

  test('formatBytes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(512 * 1024 * 1024)).toBe('512 MiB');
    expect(formatBytes(5 * 1024 ** 3)).toBe('5.0 GiB');
  });
});

describe('shotView: manifest entry + staged shot', () => {
  test('model and family default as the workflow resolves them; the manifest seed wins', () => {
    const v = shotView(
      'b',
      { shotId: 's', status: 'stored', key: 'b/s.mp4', bytes: 10, seed: 99, usage: { totalTokens: 5 }, sha256: 'ab' },
      { prompt: 'p', seed: 1, duration: 5 },
      { file: '/tmp/x.jpg', videoSeconds: 5.04 },
    );
    expect(v).toMatchObject({
      model: 'doubao-seedance-1-5-pro-251215',
      modelIsDefault: true,
      api: 'tasks',
      seed: 99,
      tokens: 5,
      requestedDuration: '5 s',
      videoSeconds: 5.04,
      video: 's.mp4',
      thumbnail: 'thumbs/s.jpg',
    });
    expect(
      shotView('b', { shotId: 's', status: 'failed' }, { prompt: 'p', model: 'doubao-seedance-2-0-fast-260128' }, undefined),
    ).toMatchObject({
      model: 'doubao-seedance-2-0-fast-260128',
      api: 'predictions',
    });
    expect(shotView('b', { shotId: 's', status: 'failed' }, { prompt: 'p', frames: 121 }, undefined).requestedDuration).toBe('121 frames');
    expect(shotView('b', { shotId: 's', status: 'failed' }, { prompt: 'p', duration: -1 }, undefined).requestedDuration).toBe(
      'model decides',
    );
  });

  test('a stored shot without thumbnail carries the reason; failed and not-started shots have no links', () => {
    expect(shotView('b', { shotId: 's', status: 'stored', key: 'b/s.mp4' }, undefined, { note: 'why' })).toMatchObject({
      video: 's.mp4',
      thumbnailNote: 'why',
    });
    const failed = shotView('b', { shotId: 's', status: 'failed', failureType: 'TaskFailed', failureMessage: 'm' }, undefined, undefined);
    expect(failed.video).toBeUndefined();
    expect(failed.thumbnail).toBeUndefined();
    expect(failed.prompt).toBeUndefined();
    expect(failed).toMatchObject({ failureType: 'TaskFailed', failureMessage: 'm' });
    // A video stored outside the storyboard's folder gets no relative link.
    expect(shotView('b', { shotId: 's', status: 'stored', key: 'videos/s.mp4' }, undefined, undefined).video).toBeUndefined();
  });
});

describe('estimates and budgets in the report', () => {
  const stat = (html: string, kind: string) =>
    new RegExp(`data-total="${kind}"[^>]*><span class="label">[^<]*</span><span class="value">([^<]*)</span>`).exec(html)?.[1];

  test('a shot more than 10% off its estimate is flagged; within 10% it is not', () => {
    const shots = [
      stored('near', { tokens: 1080, estimatedTokens: { min: 1000, max: 1000 } }),
      stored('far', { tokens: 1200, estimatedTokens: { min: 1000, max: 1000 }, offEstimate: true }),
    ];
    const html = renderReportHtml(view(shots));
    expect(article(html, 'near')).not.toContain('data-off-estimate');
    expect(article(html, 'far')).toContain('data-off-estimate="true"');
    expect(stat(html, 'estimated')).toBe('2,000');
    expect(stat(html, 'off-estimate')).toBe('1');
  });

  test('shotView: the manifest estimate, else the staged shot estimated; the flag by the 10% rule', () => {
    const entry = { shotId: 's', status: 'stored' as const, key: 'b/s.mp4' };
    // 5 s 720p 16:9 on Seedance 1.5 pro: 108,900 tokens.
    expect(shotView('b', { ...entry, usage: { totalTokens: 108_900 } }, { prompt: 'p' }, undefined)).toMatchObject({
      estimatedTokens: { min: 108_900, max: 108_900 },
    });
    expect(shotView('b', { ...entry, usage: { totalTokens: 108_900 } }, { prompt: 'p' }, undefined).offEstimate).toBeUndefined();
    expect(shotView('b', { ...entry, usage: { totalTokens: 200_000 } }, { prompt: 'p' }, undefined).offEstimate).toBe(true);
    const recorded = { ...entry, usage: { totalTokens: 50 }, estimatedTokens: { min: 40, max: 60 } };
    expect(shotView('b', recorded, { prompt: 'p' }, undefined)).toMatchObject({ estimatedTokens: { min: 40, max: 60 } });
    expect(shotView('b', recorded, { prompt: 'p' }, undefined).offEstimate).toBeUndefined();
  });

  test('the budget: limit, spent, reserved, remaining', () => {
    const html = renderReportHtml(view([stored('a')], { budget: { unit: 'USD', limit: 5, spent: 3.25, reserved: 0, remaining: 1.75 } }));
    expect(stat(html, 'budget')).toBe('5.00 USD');
    expect(stat(html, 'spent')).toBe('3.25 USD');
    expect(stat(html, 'reserved')).toBe('0.00 USD');
    expect(stat(html, 'remaining')).toBe('1.75 USD');
    expect(renderReportHtml(view([stored('a')]))).not.toContain('data-total="budget"');
  });
});
