/**
 * review.html: what a draft-mode storyboard shows at its review point (common/review.ts). One
 * row per shot: its draft (a link, relative to the storyboard's folder, and its task id), what
 * the draft cost, and the estimated cost of its final at the final's own resolution, which is
 * what approving it will spend. Self-contained like report.html: inline CSS, no scripts.
 */
import { z } from 'zod';
import { sharedSchema } from '../../common/shared-schema';
import type { StorageBackend } from '../../storage/backend';
import { REVIEW_STATES, type ReviewShotView } from '../../common/review';
import { SAFE_ID } from '../../common/storyboard';
import { escapeHtml, formatCount, relativeHref } from './html';

/**
 * The rows that changed since the last write, not the whole review: the workflow sends this at
 * every review point, and a whole review each time would grow its history without bound. The
 * activity keeps every row of the run in `review.json` beside the page and merges the changes in.
 */
export interface WriteReviewReportInput {
  storyboardId: string;
  /** The storyboard run whose review this is: rows kept from another run are dropped. */
  run: string;
  rows: ReviewShotView[];
}

export interface WriteReviewReportResult {
  reviewKey: string;
  reviewUrl: string;
}

export const reviewKeys = {
  review: (storyboardId: string) => `${storyboardId}/review.html`,
  /** Every row of the current run's review, by shot id (merged by each write). */
  rows: (storyboardId: string) => `${storyboardId}/.state/review.json`,
};

/** The rows come from the workflow; checked anyway, as everything that becomes a link or a page. */
const RowSchema = sharedSchema('review-report.RowSchema', () => {
  const range = z.object({ min: z.number(), max: z.number() });
  return z.looseObject({
    shotId: z.string().regex(SAFE_ID),
    index: z.number().int().min(0),
    state: z.enum(REVIEW_STATES),
    draft: z
      .looseObject({
        taskId: z.string(),
        key: z.string(),
        drafts: z.number(),
        usage: z.looseObject({ totalTokens: z.number().optional() }).optional(),
        prompt: z.string().optional(),
        expiresAt: z.number().optional(),
      })
      .optional(),
    estimatedFinalTokens: range,
    estimatedFinalCost: range.extend({ unit: z.string().max(16) }).optional(),
    reason: z.string().optional(),
  });
});

/** The review page of these rows, in storyboard order (pure, unit-tested on its own). */
export function renderReviewHtml(storyboardId: string, unordered: readonly ReviewShotView[]): string {
  const shots = [...unordered].sort((a, b) => a.index - b.index);
  const rows = shots.map((raw) => {
    const s = RowSchema.parse(raw);
    const prefix = `${storyboardId}/`;
    const link = s.draft && s.draft.key.startsWith(prefix) ? relativeHref(...s.draft.key.slice(prefix.length).split('/')) : undefined;
    const tokens = (r: { min: number; max: number }) =>
      r.min === r.max ? formatCount(r.max) : `${formatCount(r.min)}–${formatCount(r.max)}`;
    const cost = s.estimatedFinalCost
      ? ` (${s.estimatedFinalCost.min === s.estimatedFinalCost.max ? s.estimatedFinalCost.max.toFixed(2) : `${s.estimatedFinalCost.min.toFixed(2)}–${s.estimatedFinalCost.max.toFixed(2)}`} ${escapeHtml(s.estimatedFinalCost.unit)})`
      : '';
    return `<tr class="${escapeHtml(s.state)}"><td>${escapeHtml(s.shotId)}</td><td>${escapeHtml(s.state.replace(/_/g, ' '))}</td>
<td>${link ? `<a href="${escapeHtml(link)}">draft ${s.draft?.drafts ?? ''}</a> <small>${escapeHtml(s.draft?.taskId ?? '')}</small>` : '—'}${s.draft?.prompt ? `<br><small>re-drafted: ${escapeHtml(s.draft.prompt)}</small>` : ''}${s.draft?.expiresAt !== undefined && s.state === 'awaiting_approval' ? `<br><small>approve by ${escapeHtml(new Date(s.draft.expiresAt).toISOString().slice(0, 16).replace('T', ' '))} UTC</small>` : ''}</td>
<td>${s.draft?.usage?.totalTokens !== undefined ? formatCount(s.draft.usage.totalTokens) : '—'}</td>
<td>${tokens(s.estimatedFinalTokens)} tokens${cost}</td><td>${escapeHtml(s.reason ?? '')}</td></tr>`;
  });
  const awaiting = shots.filter((s) => s.state === 'awaiting_approval');
  const total = awaiting.reduce((n, s) => n + s.estimatedFinalTokens.max, 0);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Review of ${escapeHtml(storyboardId)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}tr.awaiting_approval{background:#fff8e0}</style></head>
<body><h1>Review of storyboard ${escapeHtml(storyboardId)}</h1>
<p>${awaiting.length} draft${awaiting.length === 1 ? '' : 's'} awaiting approval; approving all of them renders finals estimated at ${formatCount(total)} tokens.
Approve with <code>seedance-flow approve ${escapeHtml(storyboardId)} &lt;shot…&gt;|--all</code>, re-draft with <code>seedance-flow reject ${escapeHtml(storyboardId)} &lt;shot&gt; --prompt …</code>, end the review with <code>seedance-flow finish-review ${escapeHtml(storyboardId)}</code>.</p>
<table><thead><tr><th>shot</th><th>review</th><th>draft</th><th>draft tokens</th><th>estimated final</th><th>note</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody></table></body></html>
`;
}

/** The rows kept for `run`, or none (another run's, or not readable). */
function keptRows(text: string | null, run: string): Record<string, ReviewShotView> {
  if (!text) return {};
  try {
    const kept = JSON.parse(text) as { run?: unknown; rows?: Record<string, unknown> };
    if (kept.run !== run || !kept.rows || typeof kept.rows !== 'object') return {};
    const rows: Record<string, ReviewShotView> = {};
    for (const [id, row] of Object.entries(kept.rows)) {
      const parsed = RowSchema.safeParse(row);
      if (parsed.success && parsed.data.shotId === id) rows[id] = row as ReviewShotView;
    }
    return rows;
  } catch {
    return {};
  }
}

/** The activity: merges the changed rows into the run's rows and writes `<storyboardId>/review.html`. Idempotent. */
export function reviewReportWriter(storage: StorageBackend) {
  return async function writeReviewReport(input: WriteReviewReportInput): Promise<WriteReviewReportResult> {
    const rowsKey = reviewKeys.rows(input.storyboardId);
    const rows = keptRows(await storage.readText(rowsKey), input.run);
    for (const row of input.rows) rows[RowSchema.parse(row).shotId] = row;
    await storage.writeText(rowsKey, JSON.stringify({ run: input.run, rows }), 'application/json');
    const reviewKey = reviewKeys.review(input.storyboardId);
    await storage.writeText(reviewKey, renderReviewHtml(input.storyboardId, Object.values(rows)), 'text/html; charset=utf-8');
    return { reviewKey, reviewUrl: storage.urlOf(reviewKey) };
  };
}
