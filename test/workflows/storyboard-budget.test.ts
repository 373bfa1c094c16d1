/**
 * Storyboard budgets on a time-skipping server with fake activities: each shot reserves its
 * estimate before it is launched, settles to its actual usage, the storyboard pauses with
 * reason `budget` when the next reservation would pass the budget, setBudget raises it and
 * resumes, and the budget's state goes through continue-as-new without losing or doubling a
 * reservation.
 */
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { PageShot } from '../../activities/storyboard/activities';
import { FailureType } from '../../common/errors';
import { estimateShot, framesFor, videoTokens } from '../../common/estimate';
import type { RenderStoryboardInput, StoryboardProgress } from '../../common/storyboard';
import { pauseSignal, resumeSignal, setBudgetUpdate, storyboardProgressQuery, type renderStoryboard } from '../../workflows';
import { typedFailure } from './fakes';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

jest.setTimeout(60_000);

let h: WorkflowHarness;
beforeAll(async () => {
  h = await startWorkflowHarness('storyboard-budget');
}, 180_000);
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => h.provider.reset());

const shotId = (i: number) => `s${String(i).padStart(2, '0')}`;
const promptOf = (storyboardId: string, id: string) => `${storyboardId} ${id}`;
/** A shot with no size fields: Seedance 1.5 pro, 720p, 16:9, 5 s. */
const SHOT_TOKENS = videoTokens(1280, 720, framesFor(5));

function start(storyboardId: string, count: number, extra: Partial<RenderStoryboardInput> = {}) {
  const shots: PageShot[] = Array.from({ length: count }, (_, i) => ({
    id: shotId(i + 1),
    shot: { prompt: promptOf(storyboardId, shotId(i + 1)) },
  }));
  return h.env.client.workflow.start<typeof renderStoryboard>('renderStoryboard', {
    taskQueue: h.taskQueue,
    workflowId: storyboardId,
    args: [{ ...h.store.stage(storyboardId, shots), searchAttributes: false, ...extra }],
  });
}

/** Queries until `done` holds, for at most `ms` of real time, letting workflow time pass in between. */
async function progressUntil(
  handle: WorkflowHandle,
  what: string,
  done: (p: StoryboardProgress) => boolean,
  ms = 10_000,
): Promise<StoryboardProgress> {
  const deadline = Date.now() + ms;
  for (;;) {
    const p = await handle.query(storyboardProgressQuery);
    if (done(p)) return p;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; progress: ${JSON.stringify(p)}`);
    // Workflow time moves only while someone waits on it: the children poll on durable timers.
    await h.env.sleep(5_000);
  }
}

const launched = (storyboardId: string) =>
  new Set(h.provider.submits.filter((s) => s.workflowId.startsWith(`${storyboardId}/`)).map((s) => s.workflowId.split('/')[1]));

test('the estimate of a shot with no size fields is the one the budget tests count with', () => {
  expect(estimateShot({}).tokens).toEqual({ min: SHOT_TOKENS, max: SHOT_TOKENS });
  expect(SHOT_TOKENS).toBe(108_900);
});

test('a budget for 7 of 10 shots stores 7, pauses with reason budget; setBudget resumes it and it completes', async () => {
  const id = 'budget-seven';
  for (let i = 1; i <= 10; i++) h.provider.onPoll(promptOf(id, shotId(i)), { status: 'succeeded', totalTokens: SHOT_TOKENS });
  const handle = await start(id, 10, { window: 3, budget: { tokens: 7 * SHOT_TOKENS + SHOT_TOKENS / 2 } });

  const paused = await progressUntil(handle, 'the budget pause with 7 stored', (p) => p.paused && p.counts.stored === 7);
  expect(paused.pauseReason).toBe('budget');
  expect(paused.budget).toEqual({
    unit: 'tokens',
    limit: 7.5 * SHOT_TOKENS,
    spent: 7 * SHOT_TOKENS,
    reserved: 0,
    remaining: 0.5 * SHOT_TOKENS,
  });
  // A day of workflow time changes nothing: the eighth shot does not fit.
  await h.env.sleep(24 * 60 * 60_000);
  expect((await handle.query(storyboardProgressQuery)).counts.stored).toBe(7);
  expect(launched(id).size).toBe(7);

  // A plain resume does not spend past the budget: the storyboard pauses again.
  await handle.signal(resumeSignal);
  await progressUntil(handle, 'paused again', (p) => p.paused && p.pauseReason === 'budget');
  expect(launched(id).size).toBe(7);

  const now = await handle.executeUpdate(setBudgetUpdate, { args: [10 * SHOT_TOKENS] });
  expect(now).toMatchObject({ limit: 10 * SHOT_TOKENS, spent: 7 * SHOT_TOKENS });
  const result = await handle.result();
  expect(result.counts).toMatchObject({ stored: 10, failed: 0, not_started: 0 });
  expect(result.budget).toEqual({ unit: 'tokens', limit: 10 * SHOT_TOKENS, spent: 10 * SHOT_TOKENS, reserved: 0, remaining: 0 });
  expect(result.tokensUsed).toBe(10 * SHOT_TOKENS);
  for (const s of result.shots ?? []) expect(s.estimatedTokens).toEqual({ min: SHOT_TOKENS, max: SHOT_TOKENS });
  for (let i = 1; i <= 10; i++) expect(h.provider.submitsOf(promptOf(id, shotId(i)))).toHaveLength(1);
});

test('reservations settle to actual usage: cheaper shots leave room, a failed shot without usage spends nothing', async () => {
  const id = 'budget-settle';
  // Each video costs half its estimate; s02 fails without usage; s04 reports no usage (it spends its reservation).
  for (let i = 1; i <= 5; i++) h.provider.onPoll(promptOf(id, shotId(i)), { status: 'succeeded', totalTokens: SHOT_TOKENS / 2 });
  h.provider.onPoll(promptOf(id, 's02'), { status: 'failed' });
  h.provider.onPoll(promptOf(id, 's04'), { status: 'succeeded' });
  // Room for two reservations at a time: window 1 keeps the order readable.
  const handle = await start(id, 5, { window: 1, budget: { tokens: 3 * SHOT_TOKENS } });
  const result = await handle.result();
  expect(result.counts).toMatchObject({ stored: 4, failed: 1 });
  // s01, s03, s05 half each; s02 nothing; s04 its whole reservation.
  expect(result.budget).toMatchObject({ spent: 2.5 * SHOT_TOKENS, reserved: 0, remaining: 0.5 * SHOT_TOKENS });
});

test('setBudget is refused without a budget, below what is spent, or not positive', async () => {
  const id = 'budget-refused';
  h.provider.onPoll(promptOf(id, 's01'), { status: 'succeeded', totalTokens: SHOT_TOKENS });
  const handle = await start(id, 2, { window: 1, budget: { tokens: SHOT_TOKENS } });
  await progressUntil(handle, 'the budget pause', (p) => p.paused && p.pauseReason === 'budget');
  await expect(handle.executeUpdate(setBudgetUpdate, { args: [SHOT_TOKENS - 1] })).rejects.toThrow(WorkflowUpdateFailedError);
  await expect(handle.executeUpdate(setBudgetUpdate, { args: [-5] })).rejects.toThrow(WorkflowUpdateFailedError);
  expect((await handle.query(storyboardProgressQuery)).budget?.limit).toBe(SHOT_TOKENS);
  await handle.executeUpdate(setBudgetUpdate, { args: [2 * SHOT_TOKENS] });
  expect((await handle.result()).counts.stored).toBe(2);

  const none = await start('budget-none', 1);
  await expect(none.executeUpdate(setBudgetUpdate, { args: [SHOT_TOKENS] })).rejects.toMatchObject({
    cause: { message: expect.stringMatching(/no budget/) },
  });
  await none.result();
});

test('a user pause is not lifted by a raised budget; the budget pause is', async () => {
  const id = 'budget-user-pause';
  const handle = await start(id, 3, { window: 1, budget: { tokens: SHOT_TOKENS } });
  await progressUntil(handle, 'the budget pause', (p) => p.paused && p.pauseReason === 'budget');
  await handle.signal(pauseSignal, 'review');
  await handle.executeUpdate(setBudgetUpdate, { args: [3 * SHOT_TOKENS] });
  await h.env.sleep(60 * 60_000);
  const p = await handle.query(storyboardProgressQuery);
  expect(p).toMatchObject({ paused: true, pauseReason: 'review' });
  expect(launched(id).size).toBe(1);
  await handle.signal(resumeSignal);
  expect((await handle.result()).counts.stored).toBe(3);
});

test('the budget goes through continue-as-new: spent is the sum of the stored shots, each launched once', async () => {
  const id = 'budget-carry';
  for (let i = 1; i <= 7; i++) h.provider.onPoll(promptOf(id, shotId(i)), { status: 'succeeded', totalTokens: 1000 * i });
  // An insufficient balance holds s03 (and its reservation) across a pause.
  h.provider.onSubmit(promptOf(id, 's03'), { fail: typedFailure(FailureType.InsufficientBalance) }, 'accept');
  const handle = await start(id, 7, { window: 2, shotsPerRun: 2, budget: { tokens: 7 * SHOT_TOKENS } });
  await progressUntil(handle, 'the balance pause', (p) => p.paused && /insufficient/.test(p.pauseReason ?? ''));
  await handle.signal(resumeSignal);
  const result = await handle.result();
  expect(result.counts).toMatchObject({ stored: 7 });
  expect(result.budget).toMatchObject({ spent: 28_000, reserved: 0, limit: 7 * SHOT_TOKENS });
  expect(result.tokensUsed).toBe(28_000);
  for (let i = 1; i <= 7; i++) if (i !== 3) expect(h.provider.submitsOf(promptOf(id, shotId(i)))).toHaveLength(1);
});

test('a budget in a currency is charged by the prices in the input', async () => {
  const id = 'budget-amount';
  for (let i = 1; i <= 4; i++) h.provider.onPoll(promptOf(id, shotId(i)), { status: 'succeeded', totalTokens: 1_000_000 });
  // 1.00 per million tokens: a shot reserves 0.1089 and spends 1.00; 2.50 pays for two, then the third cannot fit.
  const prices = { currency: 'EUR', models: { 'doubao-seedance-1-5-pro': { perMillionTokens: 1 } } };
  const handle = await start(id, 4, { window: 1, budget: { amount: 2.5, currency: 'EUR', prices } });
  const paused = await progressUntil(handle, 'the budget pause', (p) => p.paused && p.pauseReason === 'budget');
  expect(paused.counts.stored).toBe(3);
  expect(paused.budget).toMatchObject({ unit: 'EUR', spent: 3, reserved: 0 });
  await handle.executeUpdate(setBudgetUpdate, { args: [5] });
  const result = await handle.result();
  expect(result.budget).toMatchObject({ unit: 'EUR', spent: 4, limit: 5 });
});

test("an inline storyboard's own budget holds, through continue-as-new", async () => {
  const id = 'budget-inline';
  const shots = [1, 2, 3].map((i) => ({ id: shotId(i), prompt: promptOf(id, shotId(i)) }));
  for (const s of shots) h.provider.onPoll(s.prompt, { status: 'succeeded', totalTokens: SHOT_TOKENS });
  const handle = await h.env.client.workflow.start<typeof renderStoryboard>('renderStoryboard', {
    taskQueue: h.taskQueue,
    workflowId: id,
    args: [{ storyboardId: id, storyboard: { id, budget: { tokens: 2 * SHOT_TOKENS }, shots }, shotsPerRun: 1, searchAttributes: false }],
  });
  const paused = await progressUntil(handle, 'the budget pause', (p) => p.paused && p.pauseReason === 'budget');
  expect(paused.counts.stored).toBe(2);
  expect(paused.budget).toMatchObject({ limit: 2 * SHOT_TOKENS, spent: 2 * SHOT_TOKENS });
  // Staged once: the runs after the first read the staged pages, with the budget in their input.
  expect(h.store.sourceStagings.filter((s) => s.storyboardId === id)).toHaveLength(1);
  await handle.executeUpdate(setBudgetUpdate, { args: [3 * SHOT_TOKENS] });
  expect((await handle.result()).counts.stored).toBe(3);
});

test("a shot whose model the budget's prices leave out fails unsubmitted; the others render", async () => {
  const id = 'budget-unpriced';
  const prices = { currency: 'EUR', models: { 'doubao-seedance-1-5-pro': { perMillionTokens: 1 } } };
  const shots: PageShot[] = [
    { id: 's01', shot: { prompt: promptOf(id, 's01') } },
    { id: 's02', shot: { prompt: promptOf(id, 's02'), model: 'doubao-seedance-1-0-pro-250528' } },
    { id: 's03', shot: { prompt: promptOf(id, 's03') } },
  ];
  const handle = await h.env.client.workflow.start<typeof renderStoryboard>('renderStoryboard', {
    taskQueue: h.taskQueue,
    workflowId: id,
    args: [{ ...h.store.stage(id, shots), searchAttributes: false, window: 1, budget: { amount: 10, currency: 'EUR', prices } }],
  });
  const result = await handle.result();
  expect(result.counts).toMatchObject({ stored: 2, failed: 1 });
  expect(result.shots?.[1]).toMatchObject({ status: 'failed', failureType: FailureType.InvalidRequest });
  expect(result.shots?.[1]?.failureMessage).toMatch(/no price for doubao-seedance-1-0-pro-250528/);
  expect(launched(id)).toEqual(new Set(['s01', 's03']));
});
