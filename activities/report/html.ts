/**
 * The storyboard report as one self-contained HTML page: inline CSS, no scripts, no external
 * assets. Every link is relative to the storyboard's folder (`<shotId>.mp4`,
 * `thumbs/<shotId>.jpg`, `contact-sheet.jpg`, `manifest.json`), so the folder can be copied,
 * served or opened from disk as it is. Pure: no I/O, so it is unit-tested on its own.
 */
import type { BudgetView } from '../../common/budget';
import { CONTENT_POLICY_STAGE_MEANING, failureLabel, isContentPolicyStage } from '../../common/content-policy';
import type { ManifestEntry, SilentRetry } from '../../common/storyboard';

/** One shot as the page shows it. */
export interface ReportShot {
  shotId: string;
  status: ManifestEntry['status'];
  prompt?: string;
  model?: string;
  /** True when the storyboard named no model and the family's default applies. */
  modelIsDefault?: boolean;
  api?: string;
  seed?: number;
  /** What was asked for: `5 s`, `121 frames`, `model decides`. */
  requestedDuration?: string;
  /** Seconds, as ffmpeg read them from the stored video. */
  videoSeconds?: number;
  ratio?: string;
  resolution?: string;
  tokens?: number;
  /** Tokens estimated before submit (a range where the model chooses ratio or duration). */
  estimatedTokens?: { min: number; max: number };
  /** Actual tokens differ from the estimate by more than 10%. */
  offEstimate?: boolean;
  bytes?: number;
  sha256?: string;
  taskId?: string;
  failureType?: string;
  /** For a ContentPolicyViolation: what moderation blocked. */
  failureStage?: string;
  failureMessage?: string;
  /** Rendered a second time without sound after its audio was blocked (a second paid task). */
  silentRetry?: SilentRetry;
  reused?: boolean;
  /** Draft mode: the draft this final came from (or the unapproved draft), with a relative link and its own tokens. */
  draft?: { taskId: string; video?: string; tokens?: number; drafts: number };
  /** Draft mode: why the shot rendered its final without a draft, or why it ended unrendered (`not approved`). */
  note?: string;
  /** Relative link to the video, for stored shots. */
  video?: string;
  /** Relative link to the first-frame thumbnail; absent: a placeholder is shown. */
  thumbnail?: string;
  /** Why there is no thumbnail (shown in the placeholder). */
  thumbnailNote?: string;
  /** The shot whose last frame this one started from. */
  continuedFrom?: string;
  /** The shots that start from this one's last frame. */
  continuedBy?: string[];
  /** Relative link to this shot's stored last frame. */
  lastFrame?: string;
  /** Why a last frame that was asked for is not there. */
  lastFrameMissing?: string;
  /** Why a shot was not started, when the manifest says. */
  reason?: string;
}

export interface ContactSheetView {
  href: string;
  /** Shot ids of the tiles, row by row. */
  tiles: string[];
  /** How many thumbnails there were in all (more than `tiles.length` when capped). */
  thumbnails: number;
}

export interface ReportView {
  storyboardId: string;
  totalShots: number;
  /** When the manifest was written (ISO). */
  manifestWrittenAt?: string;
  /** When this page was made (ISO). */
  generatedAt: string;
  manifestHref: string;
  shots: ReportShot[];
  contactSheet?: ContactSheetView;
  /** Why there is no contact sheet, when there could have been one. */
  contactSheetNote?: string;
  /** Where the storyboard's budget ended, when it had one. */
  budget?: BudgetView;
}

export interface ReportTotals {
  shots: number;
  stored: number;
  failed: number;
  not_started: number;
  tokens: number;
  /** The estimates' tops, over the shots that have one. */
  estimatedTokens: number;
  /** Shots whose tokens are more than 10% off their estimate. */
  offEstimate: number;
  bytes: number;
}

export function reportTotals(shots: readonly ReportShot[]): ReportTotals {
  const t: ReportTotals = {
    shots: shots.length,
    stored: 0,
    failed: 0,
    not_started: 0,
    tokens: 0,
    estimatedTokens: 0,
    offEstimate: 0,
    bytes: 0,
  };
  for (const s of shots) {
    if (s.status === 'stored') t.stored++;
    else if (s.status === 'failed') t.failed++;
    else t.not_started++;
    t.tokens += s.tokens ?? 0;
    t.estimatedTokens += s.estimatedTokens?.max ?? 0;
    if (s.offEstimate) t.offEstimate++;
    t.bytes += s.status === 'stored' ? (s.bytes ?? 0) : 0;
  }
  return t;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and (quoted) attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** A relative link to a file in the storyboard's folder (or below it), safe in an attribute. */
export function relativeHref(...segments: string[]): string {
  return segments.map((s) => encodeURIComponent(s)).join('/');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** `requestedDuration` of a shot that left the duration to the model (`duration: -1`). */
export const MODEL_DECIDES = 'model decides';

const STATUS_LABEL: Record<ReportShot['status'], string> = { stored: 'stored', failed: 'failed', not_started: 'not started' };

export function renderReportHtml(view: ReportView): string {
  const totals = reportTotals(view.shots);
  const title = `Storyboard ${view.storyboardId}`;
  const missing = view.totalShots - view.shots.length;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="seedance-flow">
<title>${escapeHtml(title)} — report</title>
<style>${CSS}</style>
</head>
<body>
<header class="top">
  <h1>${escapeHtml(title)}</h1>
  <p class="sub">${view.manifestWrittenAt ? `Rendered ${escapeHtml(formatTime(view.manifestWrittenAt))} · ` : ''}report made ${escapeHtml(formatTime(view.generatedAt))} · <a href="${escapeHtml(view.manifestHref)}">manifest.json</a></p>
</header>
<main>
<section class="totals" aria-label="Totals">
  ${stat('Shots', formatCount(view.totalShots), 'total')}
  ${stat('Stored', formatCount(totals.stored), 'stored')}
  ${stat('Failed', formatCount(totals.failed), 'failed')}
  ${stat('Not started', formatCount(totals.not_started), 'not_started')}
  ${stat('Tokens', formatCount(totals.tokens), 'tokens')}
  ${stat('Estimated tokens', formatCount(totals.estimatedTokens), 'estimated')}
  ${totals.offEstimate ? stat('Off estimate > 10%', formatCount(totals.offEstimate), 'off-estimate') : ''}
  ${view.budget ? budgetStats(view.budget) : ''}
  ${stat('Stored bytes', formatBytes(totals.bytes), 'bytes', `${formatCount(totals.bytes)} bytes`)}
</section>
${missing > 0 ? `<p class="note warn">The manifest lists ${formatCount(view.shots.length)} of ${formatCount(view.totalShots)} shots.</p>` : ''}
${contactSheetSection(view)}
${chainsSection(view.shots)}
<section class="shots" aria-label="Shots">
  <h2>Shots</h2>
${view.shots.map((s, i) => shotArticle(s, i)).join('\n')}
</section>
</main>
<footer>seedance-flow · ${escapeHtml(view.storyboardId)} · ${formatCount(view.shots.length)} shots</footer>
</body>
</html>
`;
}

function budgetStats(b: BudgetView): string {
  const amount = (n: number) => `${b.unit === 'tokens' ? formatCount(n) : n.toFixed(2)} ${b.unit}`;
  return [
    stat('Budget', amount(b.limit), 'budget'),
    stat('Spent', amount(b.spent), 'spent'),
    stat('Reserved', amount(b.reserved), 'reserved'),
    stat('Remaining', amount(b.remaining), 'remaining'),
  ].join('\n  ');
}

function stat(label: string, value: string, kind: string, title?: string): string {
  return `<div class="stat stat-${kind}" data-total="${kind}"${title ? ` title="${escapeHtml(title)}"` : ''}><span class="label">${escapeHtml(label)}</span><span class="value">${escapeHtml(value)}</span></div>`;
}

function contactSheetSection(view: ReportView): string {
  const sheet = view.contactSheet;
  if (!sheet) {
    return view.contactSheetNote
      ? `<section class="sheet" aria-label="Contact sheet"><h2>Contact sheet</h2><p class="note">${escapeHtml(view.contactSheetNote)}</p></section>`
      : '';
  }
  const capped = sheet.thumbnails > sheet.tiles.length;
  return `<section class="sheet" aria-label="Contact sheet">
  <h2>Contact sheet</h2>
  <p class="note">${capped ? `The first ${formatCount(sheet.tiles.length)} of ${formatCount(sheet.thumbnails)} thumbnails` : `${formatCount(sheet.tiles.length)} thumbnail${sheet.tiles.length === 1 ? '' : 's'}`}, in storyboard order, row by row${capped ? ' (the sheet is capped)' : ''}: ${sheet.tiles.map((id) => `<a href="#shot-${escapeHtml(id)}">${escapeHtml(id)}</a>`).join(', ')}.</p>
  <a class="sheet-img" href="${escapeHtml(sheet.href)}"><img src="${escapeHtml(sheet.href)}" alt="Contact sheet: first frames of ${formatCount(sheet.tiles.length)} shots"></a>
</section>`;
}

function shotArticle(s: ReportShot, index: number): string {
  const id = escapeHtml(s.shotId);
  const status = escapeHtml(s.status);
  const rows: [string, string][] = [];
  if (s.model) rows.push(['Model', `${escapeHtml(s.model)}${s.modelIsDefault ? ' <span class="muted">(default)</span>' : ''}`]);
  if (s.api) rows.push(['API', escapeHtml(s.api)]);
  rows.push(['Seed', s.seed !== undefined ? escapeHtml(s.seed) : '<span class="muted">—</span>']);
  rows.push(['Duration', durationText(s)]);
  if (s.ratio || s.resolution) rows.push(['Format', escapeHtml([s.ratio, s.resolution].filter(Boolean).join(' · '))]);
  rows.push(['Tokens', s.tokens !== undefined ? escapeHtml(formatCount(s.tokens)) : '<span class="muted">—</span>']);
  if (s.estimatedTokens) {
    const { min, max } = s.estimatedTokens;
    const estimate = escapeHtml(min === max ? formatCount(max) : `${formatCount(min)}–${formatCount(max)}`);
    rows.push([
      'Estimated',
      s.offEstimate ? `${estimate} <strong class="off-estimate" data-off-estimate="true">actual is more than 10% off</strong>` : estimate,
    ]);
  }
  if (s.status === 'stored') {
    rows.push([
      'Size',
      s.bytes !== undefined
        ? `<span title="${escapeHtml(formatCount(s.bytes))} bytes">${escapeHtml(formatBytes(s.bytes))}</span>`
        : '<span class="muted">—</span>',
    ]);
  }
  const continuity = continuityText(s);
  if (continuity) rows.push(['Continuity', continuity]);
  if (s.taskId) rows.push(['Task', `<code>${escapeHtml(s.taskId)}</code>`]);
  if (s.silentRetry) rows.push(['Silent retry', silentRetryText(s.silentRetry)]);
  if (s.draft) {
    const d = s.draft;
    const link = d.video ? `<a href="${escapeHtml(d.video)}">draft</a>` : 'draft';
    const tokens = d.tokens !== undefined ? `, ${escapeHtml(formatCount(d.tokens))} tokens (billed apart)` : '';
    rows.push(['Draft', `${link} <code>${escapeHtml(d.taskId)}</code>${tokens}${d.drafts > 1 ? ` · ${escapeHtml(d.drafts)} drafts` : ''}`]);
  }
  if (s.note) rows.push(['Note', escapeHtml(s.note)]);
  if (s.sha256) rows.push(['SHA-256', `<code title="${escapeHtml(s.sha256)}">${escapeHtml(s.sha256.slice(0, 16))}…</code>`]);

  const failure =
    s.status === 'failed'
      ? `<div class="failure" role="note"><strong${stageTitle(s.failureStage)}>${escapeHtml(s.failureType ? failureLabel(s.failureType, s.failureStage) : 'Failed')}</strong>${s.failureMessage ? `: <span class="reason">${escapeHtml(s.failureMessage)}</span>` : ''}</div>`
      : s.status === 'not_started' && (s.note || s.reason)
        ? `<div class="failure idle" role="note">Not started: ${escapeHtml((s.note ?? s.reason) as string)}.</div>`
        : s.status === 'not_started'
          ? '<div class="failure idle" role="note">Not started: the storyboard stopped launching shots before reaching this one (e.g. its failure tolerance was exceeded).</div>'
          : '';

  const player =
    s.status === 'stored' && s.video
      ? `<details class="player"><summary>Play video</summary><video controls preload="none" playsinline${s.thumbnail ? ` poster="${escapeHtml(s.thumbnail)}"` : ''}><source src="${escapeHtml(s.video)}" type="video/mp4"></video></details>`
      : '';

  return `<article class="shot status-${status}" id="shot-${id}" data-shot-id="${id}" data-status="${status}">
  <div class="thumb-col">${thumbnail(s)}</div>
  <div class="body">
    <div class="head"><span class="index">#${index + 1}</span><h3>${id}</h3><span class="badge badge-${status}">${escapeHtml(STATUS_LABEL[s.status] ?? s.status)}</span>${s.reused ? '<span class="badge badge-reused" title="stored by an earlier run">reused</span>' : ''}${s.silentRetry ? '<span class="badge badge-silent" title="its generated audio was blocked; rendered again without sound, a second paid task">silent retry</span>' : ''}${s.video && s.status === 'stored' ? `<a class="file" href="${escapeHtml(s.video)}">${escapeHtml(decodeURIComponent(s.video))}</a>` : ''}</div>
    ${s.prompt !== undefined ? `<p class="prompt">${escapeHtml(s.prompt)}</p>` : '<p class="prompt muted">(prompt not found in the staged shots)</p>'}
    <dl>${rows.map(([k, v]) => `<div><dt>${k}</dt><dd>${v}</dd></div>`).join('')}</dl>
    ${failure}
    ${player}
  </div>
</article>`;
}

/** Links to a shot on the page. */
const shotLink = (id: string) => `<a href="#shot-${escapeHtml(id)}">${escapeHtml(id)}</a>`;

/** Where a shot's first frame came from and where its last frame went. */
function continuityText(s: ReportShot): string {
  const parts: string[] = [];
  if (s.continuedFrom) parts.push(`first frame = last frame of ${shotLink(s.continuedFrom)}`);
  if (s.lastFrame)
    parts.push(
      `<a href="${escapeHtml(s.lastFrame)}"><img class="frame" src="${escapeHtml(s.lastFrame)}" alt="Last frame of ${escapeHtml(s.shotId)}" loading="lazy"> last frame</a>${s.continuedBy?.length ? ` → ${s.continuedBy.map(shotLink).join(', ')}` : ''}`,
    );
  else if (s.continuedBy?.length)
    parts.push(
      `no last frame${s.lastFrameMissing ? ` (${escapeHtml(s.lastFrameMissing)})` : ''} for ${s.continuedBy.map(shotLink).join(', ')}`,
    );
  return parts.join('<br>');
}

/** The storyboard's chains of continued shots, each from its first shot to its last (a branch is its own line). */
export function chainPaths(shots: readonly ReportShot[]): string[][] {
  const byId = new Map(shots.map((s) => [s.shotId, s] as const));
  const paths: string[][] = [];
  const walk = (path: string[]): void => {
    const next = byId.get(path[path.length - 1] as string)?.continuedBy ?? [];
    if (next.length === 0) paths.push(path);
    for (const id of next) if (!path.includes(id)) walk([...path, id]);
  };
  for (const s of shots) if (!s.continuedFrom && s.continuedBy?.length) walk([s.shotId]);
  return paths;
}

/** At most this many chains are listed at the top (each shot's own row says the rest). */
const MAX_LISTED_CHAINS = 50;

function chainsSection(shots: readonly ReportShot[]): string {
  const paths = chainPaths(shots);
  if (paths.length === 0) return '';
  const line = (path: string[]) =>
    `<li>${path
      .map((id) => {
        const shot = byStatus(shots, id);
        return `${shotLink(id)}<span class="badge badge-${escapeHtml(shot)}">${escapeHtml(STATUS_LABEL[shot as ReportShot['status']] ?? shot)}</span>`;
      })
      .join(' <span class="muted" title="last frame → next first frame">→</span> ')}</li>`;
  return `<section class="chains" aria-label="Chains">
  <h2>Chains</h2>
  <p class="note">Each arrow hands a shot's last frame to the next shot as its first frame.${paths.length > MAX_LISTED_CHAINS ? ` The first ${MAX_LISTED_CHAINS} of ${formatCount(paths.length)} chains:` : ''}</p>
  <ul>${paths.slice(0, MAX_LISTED_CHAINS).map(line).join('')}</ul>
</section>`;
}

function byStatus(shots: readonly ReportShot[], id: string): string {
  return shots.find((s) => s.shotId === id)?.status ?? 'not_started';
}

/** What the first, blocked render was: a second paid task followed it. */
function silentRetryText(r: SilentRetry): string {
  const first = r.firstTaskId ? `task <code>${escapeHtml(r.firstTaskId)}</code>` : 'the first task';
  const why = r.firstFailureMessage ? ` <span class="muted">(${escapeHtml(r.firstFailureMessage)})</span>` : '';
  return `rendered again without sound after ${first} was blocked for its generated audio: a second paid task${why}`;
}

/** A tooltip saying what a content-policy stage means. */
function stageTitle(stage: string | undefined): string {
  return isContentPolicyStage(stage) ? ` title="${escapeHtml(CONTENT_POLICY_STAGE_MEANING[stage])}"` : '';
}

function thumbnail(s: ReportShot): string {
  if (s.thumbnail) {
    const img = `<img class="thumb" src="${escapeHtml(s.thumbnail)}" alt="First frame of ${escapeHtml(s.shotId)}" loading="lazy">`;
    return s.video ? `<a href="${escapeHtml(s.video)}" title="Open ${escapeHtml(s.shotId)}.mp4">${img}</a>` : img;
  }
  const [label, note] =
    s.status === 'failed'
      ? ['Failed', s.failureType ?? 'no video']
      : s.status === 'not_started'
        ? ['Not started', 'no video']
        : ['No preview', s.thumbnailNote ?? 'no thumbnail'];
  return `<div class="thumb placeholder placeholder-${escapeHtml(s.status)}" data-placeholder="true" role="img" aria-label="${escapeHtml(`${label}: ${note}`)}"><span>${escapeHtml(label)}</span><small>${escapeHtml(note)}</small></div>`;
}

function durationText(s: ReportShot): string {
  const parts: string[] = [];
  if (s.videoSeconds !== undefined) parts.push(`${escapeHtml(s.videoSeconds.toFixed(1))} s`);
  if (s.requestedDuration) {
    const asked = s.requestedDuration === MODEL_DECIDES ? "model's choice" : `asked ${s.requestedDuration}`;
    parts.push(s.videoSeconds !== undefined ? `<span class="muted">(${escapeHtml(asked)})</span>` : escapeHtml(s.requestedDuration));
  }
  return parts.length ? parts.join(' ') : '<span class="muted">provider default</span>';
}

function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : d
        .toISOString()
        .replace('T', ' ')
        .replace(/\.\d+Z$/, ' UTC');
}

const CSS = `
:root{--bg:#f6f7f9;--card:#fff;--ink:#1c2430;--muted:#6b7585;--line:#e2e6ec;--ok:#1f7a4d;--ok-bg:#e3f4ea;--bad:#b42318;--bad-bg:#fdecea;--idle:#5b6472;--idle-bg:#eceff3;--accent:#2f5bd3}
*{box-sizing:border-box}
.off-estimate{color:var(--bad);font-weight:600;margin-left:.4em}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",Arial,sans-serif}
a{color:var(--accent)}
code{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;overflow-wrap:anywhere}
header.top{background:#1c2430;color:#fff;padding:22px 32px 18px}
header.top h1{margin:0;font-size:24px;font-weight:650;overflow-wrap:anywhere}
header.top .sub{margin:4px 0 0;color:#c5ccd8;font-size:13.5px}
header.top a{color:#9cc0ff}
main{max-width:1180px;margin:0 auto;padding:24px 24px 8px}
h2{font-size:17px;margin:28px 0 12px}
.totals{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:12px}
.stat{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:12px 16px;display:flex;flex-direction:column}
.stat .label{font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
.stat .value{font-size:24px;font-weight:650;font-variant-numeric:tabular-nums}
.stat-stored .value{color:var(--ok)}.stat-failed .value{color:var(--bad)}.stat-not_started .value{color:var(--idle)}
.note{color:var(--muted);font-size:13.5px;margin:0 0 10px}
.note.warn{color:var(--bad)}
.sheet-img{display:inline-block;max-width:100%}
.sheet-img img{display:block;max-width:100%;height:auto;border-radius:8px;border:1px solid var(--line);background:#222}
.shot{display:grid;grid-template-columns:240px 1fr;gap:18px;background:var(--card);border:1px solid var(--line);border-left:4px solid var(--ok);border-radius:10px;padding:14px;margin:0 0 12px}
.shot.status-failed{border-left-color:var(--bad)}
.shot.status-not_started{border-left-color:#aab2bf}
.thumb-col a{display:block}
.thumb{display:block;width:240px;aspect-ratio:16/9;object-fit:contain;background:#111;border-radius:6px}
.placeholder{display:flex;flex-direction:column;align-items:center;justify-content:center;text-align:center;padding:8px;background:var(--idle-bg);color:var(--idle);border:1px dashed #c3cad5}
.placeholder span{font-weight:650}
.placeholder small{font-size:12px;overflow-wrap:anywhere}
.placeholder-failed{background:var(--bad-bg);color:var(--bad);border-color:#f1b8b2}
.body{min-width:0}
.head{display:flex;align-items:center;gap:10px;flex-wrap:wrap}
.head h3{margin:0;font-size:16px;overflow-wrap:anywhere}
.index{color:var(--muted);font-variant-numeric:tabular-nums;font-size:13px}
.badge{font-size:12px;font-weight:600;border-radius:999px;padding:1px 9px;background:var(--ok-bg);color:var(--ok)}
.badge-failed{background:var(--bad-bg);color:var(--bad)}
.badge-not_started{background:var(--idle-bg);color:var(--idle)}
.badge-reused{background:#e8eefc;color:var(--accent)}
.badge-silent{background:#fff4e0;color:#8a5a00}
.file{margin-left:auto;font-size:13px}
.prompt{margin:8px 0 10px;white-space:pre-wrap;overflow-wrap:anywhere}
.muted{color:var(--muted)}
dl{display:flex;flex-wrap:wrap;gap:6px 22px;margin:0;font-size:13.5px}
dl div{display:flex;gap:6px;min-width:0}
dt{color:var(--muted)}
dd{margin:0;min-width:0;overflow-wrap:anywhere}
.failure{margin-top:10px;padding:8px 12px;border-radius:6px;background:var(--bad-bg);color:var(--bad);font-size:13.5px;overflow-wrap:anywhere;white-space:pre-wrap}
.failure.idle{background:var(--idle-bg);color:var(--idle)}
.frame{height:36px;vertical-align:middle;border-radius:3px;background:#111;margin-right:4px}
.chains ul{margin:0;padding-left:20px}.chains li{margin:2px 0}.chains .badge{margin-left:4px}
.player{margin-top:10px}
.player summary{cursor:pointer;color:var(--accent);font-size:13.5px}
.player video{display:block;margin-top:8px;width:100%;max-width:640px;border-radius:6px;background:#000}
footer{max-width:1180px;margin:0 auto;padding:8px 24px 28px;color:var(--muted);font-size:12.5px}
@media (max-width:640px){.shot{grid-template-columns:1fr}.thumb{width:100%}main{padding:16px 12px}header.top{padding:18px 16px}}
`;
