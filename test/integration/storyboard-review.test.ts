/**
 * Draft mode end to end (common/review.ts, workflows/storyboard-review.ts) on the real Temporal
 * server and MinIO against the simulator, which implements drafts and `draft_task_id` as the
 * provider documents them: what the simulator recorded is what was paid for.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../helpers/cli';
import { recordKey } from '../../activities/storage/copy';
import { approveUpdate, finishReviewUpdate, rejectUpdate, storyboardProgressQuery } from '../../workflows';
import type { ManifestEntry, StoryboardProgress } from '../../common/storyboard';
import { startStoryboard, storyboardStatus } from '../../client/storyboard';
import { createStorage } from '../../storage/from-config';
import { FAST_SCHEDULE, s3Text, startHarness, waitFor, type Harness } from '../helpers/harness';
import { boardDoc, stageBoard, startBoard } from '../helpers/storyboard';

jest.setTimeout(300_000);

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sim: { renderMs: 600, queueMs: 50 } });
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => h.sim.reset());

const uniqueId = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

/** The update's rejection, as the validator worded it (nothing recorded). */
async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: Error) => e,
  );
  if (!err) throw new Error('the update was accepted');
  return String((err.cause as Error | undefined)?.message ?? err.message);
}

type SimTask = ReturnType<Harness['sim']['stats']>['tasks'][number];

/** The simulator's tasks of one storyboard (its prompts name it). */
const tasksOf = (id: string): SimTask[] => h.sim.stats().tasks.filter((t) => t.prompt.includes(id));

test('draft, approve 3 of 5, reject 1 with a new prompt, leave 1: finals exactly for the approved, a re-draft for the rejected, nothing for the fifth', async () => {
  const id = uniqueId('review');
  const doc = boardDoc(id, 5);
  const staged = await stageBoard(h, doc);
  const handle = await startBoard(h, staged, { mode: 'draft', window: 5 });
  const shot = (i: number) => doc.shots[i]?.id as string;

  // The review point: every draft rendered, nothing else happens until someone decides.
  const atReview = await waitFor(
    'all five drafts awaiting approval',
    () => handle.query(storyboardProgressQuery),
    (p) => p.review?.waitingForReview === true && p.review.awaitingApproval.length === 5,
    60_000,
  );
  expect(atReview.review?.awaitingApproval).toEqual(doc.shots.map((s) => s.id));
  const drafts = tasksOf(id);
  expect(drafts).toHaveLength(5);
  expect(drafts.every((t) => t.draft && t.draftTaskId === undefined)).toBe(true);
  // Each draft shows its estimated final (720p, 5 s on Seedance 1.5 pro: 1280 x 720 x 121 / 1024).
  for (const s of atReview.review?.shots ?? []) expect(s.estimatedFinalTokens).toEqual({ min: 108900, max: 108900 });
  // status says so too.
  const status = await storyboardStatus(h.client, createStorage(h.config).storage, id);
  expect(status.status).toBe('running');
  expect(status.review).toMatchObject({ waitingForReview: true, awaitingApproval: doc.shots.map((s) => s.id) });
  // And the review report lists the drafts with their estimated final cost.
  const reviewHtml = await waitFor(
    'review.html',
    () => s3Text(h, `${h.prefix}/${id}/review.html`),
    (text) => text.includes(shot(4)),
    20_000,
  );
  expect(reviewHtml).toContain('108,900 tokens');
  expect(reviewHtml).toMatch(new RegExp(`href="drafts/${shot(0)}\\.1\\.[0-9a-f]{8}\\.mp4"`));
  const firstDraftOf3 = atReview.review?.shots[3]?.draft;

  // Refused before they are recorded.
  expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ shots: ['nope'] }] }))).toMatch(/unknown shot "nope"/);
  expect(await refusal(handle.executeUpdate(rejectUpdate, { args: [{ shotId: 'nope', prompt: 'x' }] }))).toMatch(/unknown shot/);

  expect(await handle.executeUpdate(approveUpdate, { args: [{ shots: [shot(0), shot(1), shot(2)] }] })).toEqual({
    shots: [shot(0), shot(1), shot(2)],
  });
  expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ shots: [shot(1)] }] }))).toMatch(/already approved/);
  const newPrompt = `a slower dolly-in, at dusk, for ${id}`;
  expect(await handle.executeUpdate(rejectUpdate, { args: [{ shotId: shot(3), prompt: newPrompt }] })).toEqual({ shots: [shot(3)] });

  const back = await waitFor(
    'three finals stored and the re-draft back in review',
    () => handle.query(storyboardProgressQuery),
    (p: StoryboardProgress) => p.review?.counts.final === 3 && p.review.waitingForReview && p.review.awaitingApproval.length === 2,
    60_000,
  );
  expect(back.review?.awaitingApproval).toEqual([shot(3), shot(4)]);
  const redraft = back.review?.shots.find((s) => s.shotId === shot(3))?.draft;
  expect(redraft).toMatchObject({ drafts: 2, prompt: newPrompt });
  // The re-draft is stored under a key of its own, with its own task's record: the first draft is kept, not shadowed.
  expect(redraft?.key).not.toBe(firstDraftOf3?.key);
  expect(redraft?.taskId).not.toBe(firstDraftOf3?.taskId);
  const record = JSON.parse(await s3Text(h, `${h.prefix}/${recordKey(redraft?.key as string)}`));
  expect(record.taskId).toBe(redraft?.taskId);
  expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ shots: [shot(0)] }] }))).toMatch(/already final/);

  // What was paid for: five drafts, the re-draft with its new prompt, and finals of exactly the approved three.
  const tasks = tasksOf(id);
  const draftsById = new Map(tasks.filter((t) => t.draft).map((t) => [t.id, t]));
  const finals = tasks.filter((t) => t.draftTaskId !== undefined);
  expect(finals.map((t) => draftsById.get(t.draftTaskId as string)?.prompt).sort()).toEqual(
    [0, 1, 2].map((i) => doc.shots[i]?.prompt).sort(),
  );
  expect(finals.every((t) => !t.draft)).toBe(true);
  const redrafts = tasks.filter((t) => t.draft && t.prompt === newPrompt);
  expect(redrafts).toHaveLength(1);
  expect(tasks.filter((t) => t.draft)).toHaveLength(6);
  expect(tasks.some((t) => !t.draft && t.prompt === doc.shots[4]?.prompt)).toBe(false);

  // The review ends: what is left ends not_started, not approved, and the storyboard completes.
  expect(await handle.executeUpdate(finishReviewUpdate, { args: [] })).toEqual({ shots: [shot(3), shot(4)] });
  expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ shots: [shot(4)] }] }))).toMatch(/review of .* is finished/);
  const result = await handle.result();
  expect(result.counts).toMatchObject({ stored: 3, failed: 0, not_started: 2 });
  const entries = result.shots as ManifestEntry[];
  for (const i of [0, 1, 2]) {
    const e = entries[i] as ManifestEntry;
    expect(e).toMatchObject({ status: 'stored', key: `${id}/${shot(i)}.mp4` });
    expect(e.draft).toMatchObject({
      key: expect.stringMatching(new RegExp(`^${id}/drafts/${shot(i)}\\.1\\.[0-9a-f]{8}\\.mp4$`)),
      drafts: 1,
    });
    expect(finals.find((t) => t.id === e.taskId)?.draftTaskId).toBe(e.draft?.taskId);
  }
  for (const i of [3, 4]) expect(entries[i]).toMatchObject({ status: 'not_started', reason: 'not approved' });
  // No final was submitted after the review ended either.
  expect(tasksOf(id).filter((t) => t.draftTaskId !== undefined)).toHaveLength(3);
});

test('a model without a draft mode renders its final directly and says why; approve --all renders the rest', async () => {
  const id = uniqueId('direct');
  const doc = {
    id,
    defaults: { duration: 5 },
    shots: [
      { id: 'drafted', prompt: `drafted shot of ${id}` },
      { id: 'direct', prompt: `direct shot of ${id}`, model: 'doubao-seedance-1-0-pro-250528' },
    ],
  };
  // Drafts and finals both reserve and are charged against the budget.
  const handle = await startBoard(h, await stageBoard(h, doc), { mode: 'draft', budget: { tokens: 5_000_000 } });
  const waiting = await waitFor(
    'the draft awaiting approval and the direct final stored',
    () => handle.query(storyboardProgressQuery),
    (p) => p.review?.waitingForReview === true && p.review.counts.final === 1,
    60_000,
  );
  const direct = waiting.review?.shots.find((s) => s.shotId === 'direct');
  expect(direct?.reason).toMatch(/model doubao-seedance-1-0-pro-250528 has no draft mode/);
  expect(waiting.review?.awaitingApproval).toEqual(['drafted']);
  expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ shots: ['direct'] }] }))).toMatch(/already final/);

  expect(await handle.executeUpdate(approveUpdate, { args: [{ all: true }] })).toEqual({ shots: ['drafted'] });
  const result = await handle.result();
  expect(result.counts).toMatchObject({ stored: 2, not_started: 0 });
  const [drafted, final] = result.shots as ManifestEntry[];
  expect(drafted?.draft?.taskId).toBeTruthy();
  expect(final?.noDraftReason).toMatch(/has no draft mode/);
  expect(final?.draft).toBeUndefined();
  const tasks = tasksOf(id);
  expect(tasks.filter((t) => t.prompt === `direct shot of ${id}`).map((t) => t.draft)).toEqual([false]);
  expect(tasks).toHaveLength(3); // the draft, its final, the direct final
  const paid = (drafted?.usage?.totalTokens ?? 0) + (drafted?.draft?.usage?.totalTokens ?? 0) + (final?.usage?.totalTokens ?? 0);
  expect(drafted?.draft?.usage?.totalTokens).toBeGreaterThan(0);
  expect(result.budget).toMatchObject({ unit: 'tokens', spent: paid, reserved: 0 });
  expect(result.tokensUsed).toBe(paid);
  const manifest = JSON.parse(await s3Text(h, `${h.prefix}/${result.manifestKey}`));
  expect(manifest.shots[1].noDraftReason).toMatch(/has no draft mode/);
});

test('a storyboard not in draft mode refuses review updates', async () => {
  const id = uniqueId('plain');
  const handle = await startBoard(h, await stageBoard(h, boardDoc(id, 2)), { window: 1 });
  expect(await refusal(handle.executeUpdate(approveUpdate, { args: [{ all: true }] }))).toMatch(/is not in draft mode/);
  expect(await refusal(handle.executeUpdate(finishReviewUpdate, { args: [] }))).toMatch(/is not in draft mode/);
  const result = await handle.result();
  expect(result.counts).toMatchObject({ stored: 2 });
  expect(tasksOf(id).every((t) => !t.draft)).toBe(true);
});

test('the CLI: render --draft, status shows the review wait, approve, reject --prompt, finish-review', async () => {
  const id = uniqueId('cli-review');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-review-'));
  const file = path.join(dir, 'board.yaml');
  writeFileSync(
    file,
    `id: ${id}\ndefaults: { duration: 4 }\nshots:\n  - { id: a, prompt: a of ${id} }\n  - { id: b, prompt: b of ${id} }\n`,
  );
  const cli = (args: string[]) => runCli(h, args);

  expect((await cli(['render', file, '--draft', '--json'])).code).toBe(0);
  await waitFor(
    'the review point',
    async () => JSON.parse((await cli(['status', id, '--json'])).stdout),
    (s) => s.review?.waitingForReview === true && s.review.awaitingApproval.length === 2,
    60_000,
    500,
  );
  const status = await cli(['status', id]);
  expect(status.stdout).toMatch(/WAITING FOR REVIEW: 2 draft\(s\) awaiting approval/);
  expect(status.stdout).toMatch(/awaiting approval: a, b/);

  const refused = await cli(['approve', id, 'nope']);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toMatch(/approve refused: unknown shot "nope"/);
  expect((await cli(['approve', id, '--all', 'a'])).code).toBe(2); // shots or --all, not both
  expect((await cli(['reject', id, 'a', '--prompt', `a again of ${id}, closer`])).code).toBe(0);
  expect((await cli(['approve', id, 'b'])).code).toBe(0);
  await waitFor(
    'b final and a re-drafted',
    async () => JSON.parse((await cli(['status', id, '--json'])).stdout),
    (s) => s.review?.counts.final === 1 && s.review.waitingForReview === true,
    60_000,
    500,
  );
  const finished = await cli(['finish-review', id, '--json']);
  expect(JSON.parse(finished.stdout)).toMatchObject({ ok: true, shots: ['a'] });
  const done = await waitFor(
    'the storyboard to complete',
    async () => JSON.parse((await cli(['status', id, '--json'])).stdout),
    (s) => s.status === 'completed',
    60_000,
    500,
  );
  expect(done.counts).toMatchObject({ stored: 1, not_started: 1 });
  expect((await cli(['status', id])).stdout).toMatch(/a: not_started \(not approved\)/);
  const tasks = tasksOf(id);
  expect(
    tasks
      .filter((t) => t.draft)
      .map((t) => t.prompt)
      .sort(),
  ).toEqual([`a again of ${id}, closer`, `a of ${id}`, `b of ${id}`]);
  expect(tasks.filter((t) => t.draftTaskId !== undefined).map((t) => t.prompt)).toEqual([`b of ${id}`]);
});

test('mode: draft in a storyboard handed over inline (or as a file) is draft mode too', async () => {
  const id = uniqueId('inline-draft');
  const handle = await startStoryboard(
    h.client,
    {
      storyboardId: id,
      storyboard: { id, mode: 'draft', shots: [{ id: 'only', prompt: `the only shot of ${id}` }] },
      schedule: FAST_SCHEDULE,
    },
    h.config.SEEDANCE_TASK_QUEUE,
  );
  await waitFor(
    'the draft in review',
    () => handle.query(storyboardProgressQuery),
    (p) => p.review?.waitingForReview === true,
    60_000,
  );
  expect(tasksOf(id).map((t) => t.draft)).toEqual([true]);
  await handle.executeUpdate(approveUpdate, { args: [{ shots: ['only'] }] });
  expect((await handle.result()).counts).toMatchObject({ stored: 1 });
  expect(tasksOf(id).map((t) => t.draft)).toEqual([true, false]);
});
