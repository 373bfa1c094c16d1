/**
 * Ambiguous submits and provider callbacks in renderVideo, on a time-skipping server with the
 * fake provider (fakes.ts keeps a task list of what it created): an attempt whose request left
 * without an answer is settled by its callback or by the task list, never paid twice; and a
 * callback wakes the poll loop, but only a GET decides.
 */
import { type ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import type { CallbackPlan, ProviderCallback } from '../../common/callbacks';
import { FailureType } from '../../common/errors';
import type { RenderVideoInput } from '../../common/render';
import { attemptSeed } from '../../common/submit-attempt';
import { providerCallbackSignal, renderVideoProgressQuery, type renderVideo } from '../../workflows';
import { LOOKUP_DELAYS_MS } from '../../workflows/video-submit';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

jest.setTimeout(60_000);

let h: WorkflowHarness;
beforeAll(async () => {
  h = await startWorkflowHarness('render-video-ambiguous');
}, 180_000);
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => h.provider.reset());

const PLAN: CallbackPlan = { safetyInitialDelayMs: 300_000, safetyMaxIntervalMs: 300_000, adoptWaitMs: 60_000 };
const MODEL = 'doubao-seedance-1-5-pro-251215';

function start(prompt: string, extra: Partial<RenderVideoInput> = {}, shot: Record<string, unknown> = {}) {
  const workflowId = `rva-${randomUUID()}`;
  return h.env.client.workflow.start<typeof renderVideo>('renderVideo', {
    taskQueue: h.taskQueue,
    workflowId,
    args: [{ shot: { prompt, model: MODEL, ...shot }, ...extra }],
  });
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => new Error('expected a failure'),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  return (err as WorkflowFailedError).cause as ApplicationFailure;
}

function callback(attempt: number, taskId: string, status: ProviderCallback['status']): ProviderCallback {
  return { attempt, taskId, status, rawStatus: status, receivedAt: Date.now() };
}

describe('an ambiguous submit is settled through the task list (no callbacks)', () => {
  test('the workflow chose the seed; the one listed task with it is adopted; one submission, stored', async () => {
    h.provider.onSubmit('died sending', 'dieAfterSending', 'accept');
    const handle = await start('died sending');
    const result = await handle.result();
    expect(result.status).toBe('stored');
    expect(h.provider.submitsOf('died sending')).toHaveLength(1);
    expect(h.provider.listed).toHaveLength(1);
    expect(result.taskId).toBe(h.provider.listed[0]?.taskId);
    // Random-looking, but the workflow's: the same on every replay, recorded in history.
    expect(h.provider.listed[0]?.seed).toBe(attemptSeed(handle.workflowId, 1));
    expect(h.provider.lookups).toHaveLength(1);
    expect((await handle.query(renderVideoProgressQuery)).adoptedBy).toBe('task-list');
  });

  test('a dropped connection after the provider created the task is adopted the same way', async () => {
    h.provider.onSubmit('dropped', 'ambiguousAccepted', 'accept');
    const result = await (await start('dropped')).result();
    expect(result.status).toBe('stored');
    expect(h.provider.submitsOf('dropped')).toHaveLength(1);
    expect(result.taskId).toBe(h.provider.listed[0]?.taskId);
  });

  test('nothing listed, twice some seconds apart: nothing was created; submitted again with a new seed', async () => {
    h.provider.onSubmit('lost on the way', 'dieAfterSendingLost', 'accept');
    const handle = await start('lost on the way');
    const result = await handle.result();
    expect(result.status).toBe('stored');
    expect(h.provider.submitsOf('lost on the way').map((s) => s.activityId)).toEqual(['create-task-1', 'create-task-2']);
    expect(h.provider.lookups.map((l) => l.seed)).toEqual([attemptSeed(handle.workflowId, 1), attemptSeed(handle.workflowId, 1)]);
    const [first, second] = h.provider.lookups.map((l) => l.at);
    expect((second as number) - (first as number)).toBeGreaterThanOrEqual(LOOKUP_DELAYS_MS[1]);
    expect(h.provider.listed.map((t) => t.seed)).toEqual([attemptSeed(handle.workflowId, 2)]);
  });

  test('a fixed seed is kept, and looked up by', async () => {
    h.provider.onSubmit('fixed seed', 'dieAfterSending', 'accept');
    const result = await (await start('fixed seed', {}, { seed: 1234 })).result();
    expect(result.status).toBe('stored');
    expect(h.provider.lookups.map((l) => l.seed)).toEqual([1234]);
  });

  test('two listed tasks match: reported with both ids, the seed and the window, not guessed', async () => {
    h.provider.onSubmit('twins', 'dieAfterSending', 'accept');
    const handle = await start('twins');
    const seed = attemptSeed(handle.workflowId, 1);
    h.provider.listed.push({ taskId: 'task-elsewhere', prompt: 'other', model: MODEL, seed });
    const failure = await failureOf(handle.result());
    expect(failure.type).toBe(FailureType.SubmitOutcomeUnknown);
    expect(failure.message).toContain('2 listed tasks match');
    expect(failure.message).toContain('task-elsewhere');
    expect(failure.message).toContain(`with seed ${seed} created between`);
    expect(h.provider.submitsOf('twins')).toHaveLength(1);
  });

  test('without a task list the shot fails SubmitOutcomeUnknown naming its seed, never resubmitted', async () => {
    h.provider.listing = false;
    h.provider.onSubmit('no list', 'dieAfterSending', 'accept');
    const handle = await start('no list');
    const failure = await failureOf(handle.result());
    expect(failure.type).toBe(FailureType.SubmitOutcomeUnknown);
    expect(failure.message).toContain('the provider has no task list');
    expect(failure.message).toContain(`seed ${attemptSeed(handle.workflowId, 1)}`);
    expect(h.provider.submitsOf('no list')).toHaveLength(1);
    expect(h.provider.polls).toHaveLength(0);
  });
});

describe('with callbacks', () => {
  test("an ambiguous attempt is adopted from the callback that came to that attempt's URL", async () => {
    h.provider.callbackPlan = PLAN;
    h.provider.onSubmit('called back', 'dieAfterSending', 'accept');
    const handle = await start('called back');
    await h.provider.until('the first attempt', () => h.provider.listed.length === 1);
    const taskId = h.provider.listed[0]?.taskId as string;
    await handle.signal(providerCallbackSignal, callback(1, taskId, 'queued'));
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'stored', taskId });
    expect(h.provider.lookups).toHaveLength(0);
    expect(h.provider.submitsOf('called back')).toHaveLength(1);
    expect((await handle.query(renderVideoProgressQuery)).adoptedBy).toBe('callback');
  });

  test('no callback within the wait: the task list settles it', async () => {
    h.provider.callbackPlan = PLAN;
    h.provider.onSubmit('callback lost', 'dieAfterSending', 'accept');
    const result = await (await start('callback lost')).result();
    expect(result.status).toBe('stored');
    expect(h.provider.lookups).toHaveLength(1);
    expect(h.provider.submitsOf('callback lost')).toHaveLength(1);
  });

  test('a terminal callback wakes the loop; a GET confirms it at once instead of the safety poll', async () => {
    h.provider.callbackPlan = PLAN;
    const handle = await start('fast finish');
    await h.provider.until('the submit', () => h.provider.listed.length === 1);
    const taskId = h.provider.listed[0]?.taskId as string;
    await handle.signal(providerCallbackSignal, callback(1, taskId, 'succeeded'));
    const result = await handle.result();
    expect(result.status).toBe('stored');
    expect(h.provider.polls).toHaveLength(1);
    const submitAt = h.provider.submits[0]?.at as number;
    expect((h.provider.polls[0]?.at as number) - submitAt).toBeLessThan(5_000);
    expect(await handle.query(renderVideoProgressQuery)).toMatchObject({ callbacks: true, heardFrom: 'poll' });
  });

  test('a forged or replayed terminal callback costs one GET; the safety poll finishes the job', async () => {
    h.provider.callbackPlan = PLAN;
    h.provider.onPoll('forged', { status: 'running' }, { status: 'succeeded' });
    const handle = await start('forged');
    await h.provider.until('the submit', () => h.provider.listed.length === 1);
    const taskId = h.provider.listed[0]?.taskId as string;
    for (let i = 0; i < 3; i++) await handle.signal(providerCallbackSignal, callback(1, taskId, 'succeeded'));
    // Another task's callback (a token for another attempt) is not this task's news.
    await handle.signal(providerCallbackSignal, callback(1, 'task-other', 'failed'));
    const result = await handle.result();
    expect(result.status).toBe('stored');
    const at = h.provider.polls.map((p) => p.at);
    expect(at).toHaveLength(2);
    expect((at[1] as number) - (at[0] as number)).toBeGreaterThanOrEqual(PLAN.safetyInitialDelayMs - 5_000);
  });

  test('all callbacks lost: the safety poll finds the video', async () => {
    h.provider.callbackPlan = PLAN;
    const handle = await start('silence');
    const result = await handle.result();
    expect(result.status).toBe('stored');
    expect(h.provider.polls).toHaveLength(1);
    const submitAt = h.provider.submits[0]?.at as number;
    expect((h.provider.polls[0]?.at as number) - submitAt).toBeGreaterThanOrEqual(PLAN.safetyInitialDelayMs);
  });
});
