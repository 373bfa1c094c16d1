/**
 * Draft mode's pure parts: which shots can be drafted, the draft and final requests as the
 * provider receives them, the file's `mode`, and the review and final reports.
 */
import { shotView } from '../../activities/report/activities';
import { renderReportHtml } from '../../activities/report/html';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderReviewHtml, reviewReportWriter } from '../../activities/report/review';
import { FileStorage } from '../../storage/fs';
import { buildTasksRequest } from '../../activities/seedance/tasks-client';
import { MAX_DRAFT_SHOTS, draftShot, finalShot, noDraftReason, type ReviewShotView, type ReviewView } from '../../common/review';
import { ShotSchema, formatIssues, shotFromInput, type ShotInput } from '../../common/shot';
import { validateStoryboard, type StoryboardProgress } from '../../common/storyboard';
import { progressLine } from '../../client/progress-view';

const PRO_1_5 = 'doubao-seedance-1-5-pro-251215';
const shot: ShotInput = {
  prompt: 'a lighthouse at dusk',
  model: PRO_1_5,
  duration: 6,
  ratio: '9:16',
  seed: 42,
  generate_audio: false,
  watermark: true,
};

const issues = (s: ShotInput) => {
  const parsed = ShotSchema.safeParse(s);
  return parsed.success ? [] : formatIssues(parsed.error);
};

describe('which shots have drafts', () => {
  test('Seedance 1.5 pro on the tasks family drafts; other models and the predictions family say why not', () => {
    expect(noDraftReason(shot)).toBeUndefined();
    expect(noDraftReason({ prompt: 'p' })).toBeUndefined(); // the tasks default is 1.5 pro
    expect(noDraftReason({ prompt: 'p', model: 'doubao-seedance-1-0-pro-250528' })).toMatch(
      /^model doubao-seedance-1-0-pro-250528 has no draft mode/,
    );
    expect(noDraftReason({ prompt: 'p', api: 'predictions' })).toMatch(/seedance-2-0-fast.* has no draft mode/);
  });

  test('the shot rules: drafts and finals only where the model has them, drafts at 480p, finals without media', () => {
    expect(issues(draftShot(shot))).toEqual([]);
    expect(issues({ ...shot, draft: true, resolution: '720p' })).toEqual(['resolution: a draft renders at 480p only']);
    expect(issues({ prompt: 'p', model: 'doubao-seedance-1-0-pro-250528', draft: true })).toEqual([
      'draft: model doubao-seedance-1-0-pro-250528 has no draft mode (drafts are a Seedance 1.5 pro feature)',
    ]);
    expect(issues({ ...shot, draft: true, draft_task_id: 'cgt-1' })).toContain('draft_task_id: a draft cannot itself render from a draft');
    expect(issues({ ...finalShot(shot, 'cgt-1'), images: [{ url: 'https://x.test/a.png' }] })).toEqual([
      "images: a final from a draft reuses the draft's images: give none",
    ]);
    expect(issues({ ...shot, draft_task_id: '../x' })[0]).toMatch(/draft_task_id must be a task id/);
  });
});

describe('the requests', () => {
  test('a draft is the shot with draft: true at 480p', () => {
    const body = buildTasksRequest(shotFromInput(draftShot(shot)), []);
    expect(body).toMatchObject({ model: PRO_1_5, draft: true, resolution: '480p', duration: 6, ratio: '9:16', seed: 42 });
    expect(body.content).toEqual([{ type: 'text', text: 'a lighthouse at dusk' }]);
    // Not a draft: no draft field in what is sent.
    expect(JSON.parse(JSON.stringify(buildTasksRequest(shotFromInput(shot), [])))).not.toHaveProperty('draft');
  });

  test("a final names its draft and only what a final chooses: the draft's prompt, duration, ratio, seed and audio are reused", () => {
    const body = buildTasksRequest(shotFromInput(finalShot({ ...shot, resolution: '1080p' }, 'cgt-draft-1')), []);
    expect(body).toEqual({
      model: PRO_1_5,
      content: [{ type: 'draft_task', draft_task: { id: 'cgt-draft-1' } }],
      resolution: '1080p',
      watermark: true,
    });
  });
});

describe('mode in a storyboard file', () => {
  const doc = (extra: object, shots = 1) => ({
    id: 'board',
    ...extra,
    shots: Array.from({ length: shots }, (_, i) => ({ id: `s${i}`, prompt: 'p' })),
  });

  test('mode: draft is kept; anything else is a problem at mode', () => {
    expect(validateStoryboard(doc({ mode: 'draft' })).storyboard?.mode).toBe('draft');
    expect(validateStoryboard(doc({})).storyboard?.mode).toBeUndefined();
    expect(validateStoryboard(doc({ mode: 'rough' })).problems).toEqual([
      { path: 'mode', message: 'mode is final or draft, got a string' },
    ]);
  });

  test(`draft mode takes at most ${MAX_DRAFT_SHOTS} shots`, () => {
    expect(validateStoryboard(doc({ mode: 'draft' }, MAX_DRAFT_SHOTS)).problems).toEqual([]);
    const { problems } = validateStoryboard(doc({ mode: 'draft' }, MAX_DRAFT_SHOTS + 1));
    expect(problems).toEqual([{ path: 'mode', message: expect.stringMatching(/at most 500 shots .* this storyboard has 501/) }]);
    expect(validateStoryboard(doc({}, MAX_DRAFT_SHOTS + 1)).problems).toEqual([]);
  });

  test('a file cannot set draft or draft_task_id on a shot (renderStoryboard sets them)', () => {
    const { problems } = validateStoryboard({ id: 'b', shots: [{ id: 's', prompt: 'p', draft: true, draft_task_id: 'cgt-1' }] });
    expect(problems.map((p) => p.path).sort()).toEqual(['shots[0].draft', 'shots[0].draft_task_id']);
  });
});

describe('reports', () => {
  const row = (shotId: string, extra: Partial<ReviewShotView> = {}): ReviewShotView => ({
    shotId,
    index: Number(shotId.slice(1)) || 0,
    state: 'awaiting_approval',
    draft: {
      taskId: `cgt-${shotId}`,
      key: `board/${shotId}.draft.mp4`,
      url: 'x',
      sha256: 'a'.repeat(64),
      bytes: 1,
      drafts: 1,
      expiresAt: 0,
      usage: { totalTokens: 49005 },
    },
    estimatedFinalTokens: { min: 108900, max: 108900 },
    ...extra,
  });

  test('review.html lists each draft with a relative link and the estimated final cost, escaped', () => {
    const html = renderReviewHtml('board', [
      row('s1', { estimatedFinalCost: { min: 0.12, max: 0.12, unit: 'USD' } }),
      row('s2', { state: 'direct', reason: 'model <b> has no draft mode', estimatedFinalTokens: { min: 1, max: 2 } }),
    ]);
    expect(html).toContain('<a href="s1.draft.mp4">draft 1</a>');
    expect(html).toContain('108,900 tokens (0.12 USD)');
    expect(html).toContain('1–2 tokens');
    expect(html).toContain('model &lt;b&gt; has no draft mode');
    expect(html).not.toContain('<b>');
    expect(html).toMatch(/1 draft awaiting approval; approving all of them renders finals estimated at 108,900 tokens/);
    expect(() => renderReviewHtml('board', [row('../x')])).toThrow();
  });

  test('report.html shows a final’s draft, billed apart, and why an unapproved shot was not started', () => {
    const final = shotView(
      'board',
      {
        shotId: 's1',
        status: 'stored',
        key: 'board/s1.mp4',
        draft: {
          taskId: 'cgt-d1',
          key: 'board/s1.draft.mp4',
          url: 'x',
          sha256: 'a',
          bytes: 1,
          drafts: 2,
          usage: { totalTokens: 49005 },
          expiresAt: 0,
        },
      },
      undefined,
      undefined,
    );
    expect(final.draft).toEqual({ taskId: 'cgt-d1', video: 's1.draft.mp4', tokens: 49005, drafts: 2 });
    const left = shotView('board', { shotId: 's2', status: 'not_started', reason: 'not approved' }, undefined, undefined);
    const html = renderReportHtml({
      storyboardId: 'board',
      totalShots: 2,
      generatedAt: '2026-02-01T10:01:00.000Z',
      manifestHref: 'manifest.json',
      shots: [final, left],
    });
    expect(html).toContain('<a href="s1.draft.mp4">draft</a> <code>cgt-d1</code>, 49,005 tokens (billed apart) · 2 drafts');
    expect(html).toContain('Not started: not approved.');
  });
});

test('the live progress line says the storyboard waits for review, and for which command', () => {
  const review: ReviewView = {
    mode: 'draft',
    waitingForReview: true,
    finished: false,
    counts: { drafting: 0, awaiting_approval: 2, rendering_final: 0, direct: 0, final: 1, failed: 0, not_approved: 0 },
    awaitingApproval: ['s1', 's2'],
    shots: [],
  };
  const p: StoryboardProgress = {
    storyboardId: 'board',
    totalShots: 3,
    counts: { pending: 2, submitted: 0, rendering: 0, copying: 0, stored: 1, failed: 0 },
    shots: {},
    tokensUsed: 0,
    window: 10,
    paused: false,
    toleranceExceeded: false,
    runs: 1,
    startedAt: 0,
    done: false,
    review,
  };
  expect(progressLine(p, 1000)).toContain('WAITING FOR REVIEW: 2 draft(s) (seedance-flow approve|reject|finish-review board)');
  expect(progressLine({ ...p, review: { ...review, waitingForReview: false } }, 1000)).not.toContain('WAITING');
});

test('review.html is rewritten from the changed rows only: the activity keeps the run’s other rows, and drops another run’s', async () => {
  const root = await mkdtemp(path.join(os.tmpdir(), 'sf-review-'));
  try {
    const storage = new FileStorage(root);
    const write = reviewReportWriter(storage);
    const row = (shotId: string, index: number, state: ReviewShotView['state']): ReviewShotView => ({
      shotId,
      index,
      state,
      estimatedFinalTokens: { min: 1, max: 1 },
    });
    await write({ storyboardId: 'b', run: 'run-1', rows: [row('s2', 1, 'drafting'), row('s1', 0, 'awaiting_approval')] });
    await write({ storyboardId: 'b', run: 'run-1', rows: [row('s2', 1, 'awaiting_approval')] });
    const page = await storage.readText('b/review.html');
    expect(page).toContain('2 drafts awaiting approval');
    expect(page?.indexOf('<td>s1</td>')).toBeLessThan(page?.indexOf('<td>s2</td>') ?? -1);
    await write({ storyboardId: 'b', run: 'run-2', rows: [row('s9', 0, 'drafting')] });
    const next = await storage.readText('b/review.html');
    expect(next).not.toContain('<td>s1</td>');
    expect(next).toContain('<td>s9</td>');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
