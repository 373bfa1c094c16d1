/**
 * Draft mode of renderStoryboard (workflows/storyboard-review.ts) on a time-skipping server with
 * fake activities: a shot awaiting review holds no place in the window, the wait is a condition
 * (no timer in the history), re-drafts are bounded, and so is a draft-mode storyboard.
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { PageShot } from '../../activities/storyboard/activities';
import { MAX_DRAFTS_PER_SHOT, MAX_DRAFT_SHOTS } from '../../common/review';
import type { RenderStoryboardInput, StoryboardProgress } from '../../common/storyboard';
import { approveUpdate, finishReviewUpdate, rejectUpdate, storyboardProgressQuery, type renderStoryboard } from '../../workflows';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

jest.setTimeout(60_000);

let h: WorkflowHarness;
beforeAll(async () => {
  h = await startWorkflowHarness('storyboard-review');
}, 180_000);
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => h.provider.reset());

const shotId = (i: number) => `s${String(i).padStart(2, '0')}`;

function start(storyboardId: string, count: number, extra: Partial<RenderStoryboardInput> = {}) {
  const shots: PageShot[] = Array.from({ length: count }, (_, i) => ({
    id: shotId(i + 1),
    shot: { prompt: `${storyboardId} ${shotId(i + 1)}` },
  }));
  return h.env.client.workflow.start<typeof renderStoryboard>('renderStoryboard', {
    taskQueue: h.taskQueue,
    workflowId: storyboardId,
    args: [{ ...h.store.stage(storyboardId, shots), searchAttributes: false, mode: 'draft', ...extra }],
  });
}

/** Queries until `done` holds, for at most `ms` of real time. */
async function progressUntil(handle: WorkflowHandle, what: string, done: (p: StoryboardProgress) => boolean, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const p = await handle.query(storyboardProgressQuery);
    if (done(p)) return p;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; progress: ${JSON.stringify(p.review)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const draftSubmits = (id: string) =>
  h.provider.submits.filter((s) => s.workflowId.startsWith(`${id}/`) && s.workflowId.includes('.draft-'));
const finalSubmits = (id: string) =>
  h.provider.submits.filter((s) => s.workflowId.startsWith(`${id}/`) && !s.workflowId.includes('.draft-'));

test('window 1: every shot is drafted though none is approved yet; the wait for review is a condition, no timer', async () => {
  const id = 'review-window';
  const handle = await start(id, 3, { window: 1 });
  // Workflow time (the server skips it): the drafts' polls run on durable timers.
  await h.env.sleep(60 * 60_000);
  const p = await progressUntil(handle, 'three drafts awaiting approval', (q) => q.review?.waitingForReview === true);
  expect(p.review?.awaitingApproval).toEqual([shotId(1), shotId(2), shotId(3)]);
  expect(draftSubmits(id)).toHaveLength(3);
  expect(finalSubmits(id)).toHaveLength(0);
  expect(h.provider.maxActive).toBeLessThanOrEqual(1);

  // Three days later it still waits, and nothing happened meanwhile: no timer, no activity, no poll.
  const before = (await handle.fetchHistory()).events?.length;
  const polls = h.provider.polls.length;
  await h.env.sleep(3 * 24 * 60 * 60_000);
  expect((await handle.query(storyboardProgressQuery)).review?.waitingForReview).toBe(true);
  const history = await handle.fetchHistory();
  expect(history.events?.length).toBe(before);
  expect(h.provider.polls.length).toBe(polls);
  expect((history.events ?? []).filter((e) => e.timerStartedEventAttributes)).toEqual([]);

  expect(await handle.executeUpdate(finishReviewUpdate, { args: [] })).toEqual({ shots: [shotId(1), shotId(2), shotId(3)] });
  const result = await handle.result();
  expect(result.counts).toMatchObject({ stored: 0, failed: 0, not_started: 3 });
  expect(result.shots?.map((s) => s.reason)).toEqual(['not approved', 'not approved', 'not approved']);
  expect(finalSubmits(id)).toHaveLength(0);
});

test(`a shot is drafted at most ${MAX_DRAFTS_PER_SHOT} times; then it can still be approved`, async () => {
  const id = 'review-redrafts';
  const handle = await start(id, 1);
  for (let n = 1; n <= MAX_DRAFTS_PER_SHOT; n++) {
    await h.provider.until(`draft ${n} submitted`, () => draftSubmits(id).length === n);
    await h.env.sleep(60 * 60_000);
    await progressUntil(
      handle,
      `draft ${n} in review`,
      (q) => q.review?.waitingForReview === true && q.review.shots[0]?.draft?.drafts === n,
    );
    if (n < MAX_DRAFTS_PER_SHOT) await handle.executeUpdate(rejectUpdate, { args: [{ shotId: shotId(1), seed: n }] });
  }
  const refused = await handle.executeUpdate(rejectUpdate, { args: [{ shotId: shotId(1) }] }).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(String((refused?.cause as Error | undefined)?.message)).toMatch(new RegExp(`has had its ${MAX_DRAFTS_PER_SHOT} drafts`));
  // A bad change is refused too, before it is recorded.
  const bad = await handle.executeUpdate(rejectUpdate, { args: [{ shotId: shotId(1), seed: -5 }] }).then(
    () => undefined,
    (e: Error) => e,
  );
  expect(String((bad?.cause as Error | undefined)?.message)).toMatch(/invalid reject: seed/);

  await handle.executeUpdate(approveUpdate, { args: [{ shots: [shotId(1)] }] });
  const result = await handle.result();
  expect(result.counts).toMatchObject({ stored: 1 });
  expect(result.shots?.[0]?.draft?.drafts).toBe(MAX_DRAFTS_PER_SHOT);
  expect(draftSubmits(id)).toHaveLength(MAX_DRAFTS_PER_SHOT);
  expect(finalSubmits(id)).toHaveLength(1);
});

test(`draft mode takes at most ${MAX_DRAFT_SHOTS} shots: more fail the storyboard as InvalidRequest, nothing submitted`, async () => {
  const id = 'review-too-big';
  const handle = await start(id, MAX_DRAFT_SHOTS + 1);
  const err = await handle.result().then(
    () => undefined,
    (e: Error) => e,
  );
  expect(String((err?.cause as Error | undefined)?.message)).toMatch(/draft mode takes at most 500 shots .* this storyboard has 501/);
  expect(h.provider.submits).toHaveLength(0);
});

test('a draft older than its 7 days cannot be approved (the provider would refuse its final); a reject drafts it again', async () => {
  const id = 'review-expired';
  const handle = await start(id, 1);
  await h.provider.until('the draft submitted', () => draftSubmits(id).length === 1);
  await h.env.sleep(60 * 60_000);
  await progressUntil(handle, 'the draft in review', (q) => q.review?.waitingForReview === true);
  await h.env.sleep(7 * 24 * 60 * 60_000);
  const refused = async (p: Promise<unknown>) =>
    String(
      (
        (
          await p.then(
            () => undefined,
            (e: Error) => e,
          )
        )?.cause as Error | undefined
      )?.message,
    );
  expect(await refused(handle.executeUpdate(approveUpdate, { args: [{ shots: [shotId(1)] }] }))).toMatch(
    /has expired .* reject it to draft again/,
  );
  expect(await refused(handle.executeUpdate(approveUpdate, { args: [{ all: true }] }))).toMatch(
    /every draft awaiting approval .* has expired/,
  );
  await handle.executeUpdate(rejectUpdate, { args: [{ shotId: shotId(1) }] });
  await h.provider.until('the re-draft submitted', () => draftSubmits(id).length === 2);
  await h.env.sleep(60 * 60_000);
  await progressUntil(
    handle,
    'the re-draft in review',
    (q) => q.review?.waitingForReview === true && q.review.shots[0]?.draft?.drafts === 2,
  );
  expect(await handle.executeUpdate(approveUpdate, { args: [{ all: true }] })).toEqual({ shots: [shotId(1)] });
  expect((await handle.result()).counts).toMatchObject({ stored: 1 });
  expect(finalSubmits(id)).toHaveLength(1);
});
