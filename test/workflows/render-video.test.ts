/**
 * renderVideo on a time-skipping server with fake provider activities: what is retried,
 * when it polls, when it gives up, and what a cancel does, asserted in workflow time. Hours
 * of durable timers and heartbeat timeouts pass in milliseconds.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { FailureType } from '../../common/errors';
import { CREATE_TASK_HEARTBEAT_TIMEOUT_MS } from '../../common/submit-attempt';
import type { RenderVideoInput } from '../../common/render';
import { renderVideoProgressQuery, type renderVideo } from '../../workflows';
import { typedFailure, type PollStep } from './fakes';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

jest.setTimeout(60_000);

let h: WorkflowHarness;
beforeAll(async () => {
  h = await startWorkflowHarness('render-video');
}, 180_000);
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => h.provider.reset());

const TOLERANCE_MS = 1_000;

function start(prompt: string, extra: Partial<RenderVideoInput> = {}) {
  return h.env.client.workflow.start<typeof renderVideo>('renderVideo', {
    taskQueue: h.taskQueue,
    workflowId: `rv-${randomUUID()}`,
    args: [{ shot: { prompt }, ...extra }],
  });
}

async function render(prompt: string, extra: Partial<RenderVideoInput> = {}) {
  return (await start(prompt, extra)).result();
}

/** The ApplicationFailure a render failed with. */
async function failureOf(prompt: string, extra: Partial<RenderVideoInput> = {}): Promise<ApplicationFailure> {
  const err = await render(prompt, extra).then(
    (r) => new Error(`expected a failure, the render ended ${r.status}`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - (times[i] as number));

describe('the submit is retried only where nothing can have been accepted', () => {
  test('SubmitNotSent: tried again after the backoff, one task, stored', async () => {
    h.provider.onSubmit('not sent', { fail: typedFailure(FailureType.SubmitNotSent) }, 'accept');
    const result = await render('not sent');
    expect(result.status).toBe('stored');
    const submits = h.provider.submitsOf('not sent');
    expect(submits.map((s) => s.activityId)).toEqual(['create-task-1', 'create-task-2']);
    // submitRetryDelayMs(1): 2 s of workflow time between the attempts.
    expect(gaps(submits.map((s) => s.at))[0]).toBeGreaterThanOrEqual(2_000);
    expect(gaps(submits.map((s) => s.at))[0]).toBeLessThan(2_000 + TOLERANCE_MS);
    expect(h.provider.polls.every((p) => p.taskId === result.taskId)).toBe(true);
  });

  test('an attempt that dies before its submitSending signal is tried again', async () => {
    h.provider.onSubmit('dies preparing', 'dieBeforeSending', 'accept');
    const result = await render('dies preparing');
    expect(result.status).toBe('stored');
    const submits = h.provider.submitsOf('dies preparing');
    expect(submits.map((s) => s.activityId)).toEqual(['create-task-1', 'create-task-2']);
    // Noticed through the heartbeat timeout, then the 2 s backoff.
    expect(gaps(submits.map((s) => s.at))[0]).toBeGreaterThanOrEqual(CREATE_TASK_HEARTBEAT_TIMEOUT_MS + 2_000);
  });

  // An attempt that dies after its submitSending signal is settled, never blindly resubmitted:
  // test/workflows/render-video-ambiguous.test.ts.

  test('RateLimited: tried again after the delay the provider asked for', async () => {
    const limited = { fail: typedFailure(FailureType.RateLimited, { nextRetryDelayMs: 7_000 }) };
    h.provider.onSubmit('limited', limited, limited, 'accept');
    const result = await render('limited');
    expect(result.status).toBe('stored');
    const at = h.provider.submitsOf('limited').map((s) => s.at);
    expect(at).toHaveLength(3);
    // The hint, not the 2 s / 4 s backoff.
    for (const gap of gaps(at)) {
      expect(gap).toBeGreaterThanOrEqual(7_000);
      expect(gap).toBeLessThan(7_000 + TOLERANCE_MS);
    }
  });

  test.each([FailureType.InvalidRequest, FailureType.InsufficientBalance, FailureType.ContentPolicyViolation])(
    '%s is not retried: the render fails with that type after one attempt',
    async (type) => {
      const prompt = `refused ${type}`;
      h.provider.onSubmit(prompt, { fail: typedFailure(type) }, 'accept');
      const failure = await failureOf(prompt);
      expect(failure.type).toBe(type);
      expect(failure.nonRetryable).toBe(true);
      expect(h.provider.submitsOf(prompt)).toHaveLength(1);
    },
  );
});

describe('polls on durable timers, on the schedule, until a terminal status or the deadline', () => {
  test('default schedule: first look after 45 s, then every 30 s', async () => {
    h.provider.onPoll('default schedule', { status: 'queued' }, { status: 'running' }, { status: 'running' }, { status: 'succeeded' });
    const result = await render('default schedule');
    expect(result).toMatchObject({ status: 'stored', polls: 4 });
    const submittedAt = h.provider.submitsOf('default schedule')[0]?.at as number;
    const polls = h.provider.polls.map((p) => p.at);
    const expected = [45_000, 30_000, 30_000, 30_000];
    gaps([submittedAt, ...polls]).forEach((gap, i) => {
      expect(gap).toBeGreaterThanOrEqual(expected[i] as number);
      expect(gap).toBeLessThan((expected[i] as number) + TOLERANCE_MS);
    });
  });

  test('backoff up to the cap, the last poll on the deadline, then PollDeadlineExceeded with the task id', async () => {
    h.provider.onPoll('never done', { status: 'running' });
    const schedule = { initialDelayMs: 10_000, backoffFactor: 2, maxIntervalMs: 40_000, deadlineMs: 200_000 };
    const handle = await start('never done', { schedule });
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    const failure = (err as WorkflowFailedError).cause as ApplicationFailure;
    expect(failure.type).toBe(FailureType.PollDeadlineExceeded);
    const taskId = h.provider.polls[0]?.taskId;
    expect(failure.details?.[0]).toMatchObject({ type: FailureType.PollDeadlineExceeded, taskId });
    expect(failure.message).toContain('200 s');

    const submittedAt = h.provider.submitsOf('never done')[0]?.at as number;
    const offsets = h.provider.polls.map((p) => p.at - submittedAt);
    // 10, then 10, 20, 40 (the cap), 40, 40, and the last one clipped to land on 200 s.
    const expected = [10_000, 20_000, 40_000, 80_000, 120_000, 160_000, 200_000];
    expect(offsets).toHaveLength(expected.length);
    offsets.forEach((offset, i) => {
      expect(offset).toBeGreaterThanOrEqual(expected[i] as number);
      expect(offset).toBeLessThan((expected[i] as number) + TOLERANCE_MS);
    });
    // It failed at the deadline in workflow time, not earlier and not a poll later.
    const { events } = await handle.fetchHistory();
    const closedAt = eventMs(events?.[events.length - 1]?.eventTime);
    expect(closedAt - submittedAt).toBeGreaterThanOrEqual(200_000);
    expect(closedAt - submittedAt).toBeLessThan(200_000 + TOLERANCE_MS);
  });
});

describe('unknown statuses', () => {
  const unknown: PollStep = { status: 'unknown', rawStatus: 'rendering_hd' };

  test('UnknownTaskStatus after maxUnknownStatusPolls unknown answers in a row, naming the status', async () => {
    h.provider.onPoll('odd status', unknown);
    const failure = await failureOf('odd status', { maxUnknownStatusPolls: 3 });
    expect(failure.type).toBe(FailureType.UnknownTaskStatus);
    expect(failure.message).toContain('rendering_hd');
    expect(failure.details?.[0]).toMatchObject({ rawStatus: 'rendering_hd' });
    expect(h.provider.polls).toHaveLength(3);
  });

  test('a known status in between starts the count again', async () => {
    h.provider.onPoll('odd now and then', unknown, unknown, { status: 'running' }, unknown, unknown, { status: 'succeeded' });
    const result = await render('odd now and then', { maxUnknownStatusPolls: 3 });
    expect(result).toMatchObject({ status: 'stored', polls: 6 });
  });
});

describe('cancellation', () => {
  test('stops polling, cancels the task at the provider and ends cancelled', async () => {
    h.provider.onPoll('never mind', { status: 'queued' });
    const handle = await start('never mind');
    // 50 s of workflow time: the submit, the 45 s wait and the first poll.
    await h.env.sleep(50_000);
    await h.provider.until('the first poll', () => h.provider.polls.length >= 1);
    const progress = await handle.query(renderVideoProgressQuery);
    expect(progress).toMatchObject({ phase: 'polling', taskId: h.provider.polls[0]?.taskId });

    await handle.cancel();
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    expect(h.provider.cancels).toEqual([{ api: 'tasks', taskId: progress.taskId }]);
    expect(h.provider.polls).toHaveLength(1);
    expect(h.provider.copies).toHaveLength(0);
  });
});

function eventMs(t: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : NaN;
}
