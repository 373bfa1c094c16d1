/**
 * The account's admission limiter with real renderVideo shots and a scripted provider
 * (test/workflows/fakes.ts), on the real dev server in real time (shots here wait on each
 * other, which the time-skipping server's clock jumps do not allow): how many tasks are active
 * at once, who gets the next lease (priority, then round-robin by group), AIMD on 429s,
 * continue-as-new with leases held, and leases of closed runs reclaimed. A blocker shot
 * holds the only lease until the test changes its script to `succeeded`.
 */
import { randomUUID } from 'node:crypto';
import { limiterWorkflowId, type Admission, type LimitsConfig, type LimitsView } from '../../common/admission';
import { FailureType } from '../../common/errors';
import type { RenderVideoInput } from '../../common/render';
import { limitsQuery, type admissionLimiter, type renderVideo } from '../../workflows';
import { infraEnv, waitFor } from '../helpers/harness';
import { typedFailure } from '../workflows/fakes';
import { startWorkflowHarness, type WorkflowHarness } from '../workflows/harness';

jest.setTimeout(90_000);

let h: WorkflowHarness;
beforeAll(async () => {
  h = await startWorkflowHarness(`admission-${randomUUID().slice(0, 8)}`, { existingServer: infraEnv().temporalAddress });
}, 180_000);
const limiters: { terminate(reason: string): Promise<unknown> }[] = [];
afterAll(async () => {
  // The limiters are long-lived by design: end this file's own on the shared server.
  await Promise.allSettled(limiters.map((l) => l.terminate('test done')));
  await h?.stop();
});
beforeEach(() => h.provider.reset());

const SCHEDULE = { initialDelayMs: 1_000, maxIntervalMs: 1_000 };

/** A fresh account whose limiter is started with `config`. */
async function account(config: Partial<LimitsConfig>) {
  const name = `acct-${randomUUID().slice(0, 8)}`;
  const limiter = await h.env.client.workflow.start<typeof admissionLimiter>('admissionLimiter', {
    taskQueue: h.taskQueue,
    workflowId: limiterWorkflowId(name),
    args: [{ config }],
  });
  limiters.push(limiter);
  const view = () => limiter.query(limitsQuery);
  return { name, limiter, view };
}

function shot(prompt: string, admission: Admission, extra: Partial<RenderVideoInput> = {}) {
  return h.env.client.workflow.start<typeof renderVideo>('renderVideo', {
    taskQueue: h.taskQueue,
    workflowId: `adm-${prompt}-${randomUUID().slice(0, 8)}`,
    args: [{ shot: { prompt }, schedule: SCHEDULE, admission, ...extra }],
  });
}

const waiting = (v: LimitsView) => Object.values(v.waitingByGroup).reduce((a, b) => a + b, 0);
const firstModel = (v: LimitsView) => Object.values(v.models)[0];
const submitOrder = () => h.provider.submits.map((s) => s.prompt);

test('never more tasks active than the limit; every shot stored; the limiter ends with no lease', async () => {
  const acct = await account({ maxActivePerModel: 2 });
  const prompts = Array.from({ length: 7 }, (_, i) => `cap-${i}`);
  for (const p of prompts)
    h.provider.onPoll(p, { status: 'queued' }, { status: 'running' }, { status: 'running' }, { status: 'succeeded' });
  const handles = await Promise.all(prompts.map((p) => shot(p, { account: acct.name, priority: 3, group: 'g' })));
  const results = await Promise.all(handles.map((x) => x.result()));
  expect(results.every((r) => r.status === 'stored')).toBe(true);
  expect(h.provider.maxActive).toBe(2);
  const view = await acct.view();
  expect(view.leases).toBe(0);
  expect(view.granted).toBe(7);
});

test('the next free lease goes to the highest priority, then round-robin between groups, first come first served within one', async () => {
  const acct = await account({ maxActivePerModel: 1 });
  h.provider.onPoll('blocker', { status: 'running' });
  const blocker = await shot('blocker', { account: acct.name, priority: 3, group: 'z' });
  await waitFor('the blocker holds the lease', acct.view, (v) => v.leases === 1);
  const started = [blocker];
  const enqueue = async (prompt: string, admission: Admission) => {
    started.push(await shot(prompt, admission));
    const expected = started.length - 1;
    await waitFor(`${prompt} waiting`, acct.view, (v) => waiting(v) === expected);
  };
  for (const p of ['a1', 'a2', 'a3']) await enqueue(p, { account: acct.name, priority: 2, group: 'a' });
  for (const p of ['b1', 'b2']) await enqueue(p, { account: acct.name, priority: 2, group: 'b' });
  for (const p of ['hi1', 'hi2']) await enqueue(p, { account: acct.name, priority: 5, group: 'late' });
  h.provider.onPoll('blocker', { status: 'succeeded' });
  await Promise.all(started.map((x) => x.result()));
  expect(submitOrder()).toEqual(['blocker', 'hi1', 'hi2', 'a1', 'b1', 'a2', 'b2', 'a3']);
  expect(h.provider.maxActive).toBe(1);
});

test('a 429 halves the admitted concurrency for Retry-After; successful submits raise it back to the maximum', async () => {
  const acct = await account({ maxActivePerModel: 4 });
  h.provider.onSubmit('throttled', { fail: typedFailure(FailureType.RateLimited, { nextRetryDelayMs: 3_000 }) }, 'accept');
  const first = await shot('throttled', { account: acct.name, priority: 3, group: 'g' });
  await first.result();
  const afterStorm = firstModel(await acct.view());
  expect(afterStorm).toMatchObject({ throttles: 1, max: 4 });
  // Halved (4 -> 2) by the 429; the shot's own successful resubmit counts one success toward +1.
  expect(afterStorm?.limit).toBe(2);
  const submits = h.provider.submitsOf('throttled');
  expect(submits).toHaveLength(2);
  expect((submits[1]?.at ?? 0) - (submits[0]?.at ?? 0)).toBeGreaterThanOrEqual(3_000);
  const limits: number[] = [];
  for (let i = 0; i < 6; i++) {
    await (await shot(`recover-${i}`, { account: acct.name, priority: 3, group: 'g' })).result();
    limits.push(firstModel(await acct.view())?.limit ?? 0);
  }
  // +1 after `limit` successes: 2 (1 of 2 already) -> 3, then three more -> 4, and never above the maximum.
  expect(limits).toEqual([3, 3, 3, 4, 4, 4]);
});

test('leases survive continue-as-new: the limiter continues with leases held and waiters queued, and every shot is stored once', async () => {
  const acct = await account({ maxActivePerModel: 1, maxHistoryEvents: 100 });
  const firstRun = (await acct.limiter.describe()).runId;
  const prompts = Array.from({ length: 12 }, (_, i) => `can-${i}`);
  for (const p of prompts) h.provider.onPoll(p, { status: 'running' }, { status: 'succeeded' });
  const handles = await Promise.all(prompts.map((p) => shot(p, { account: acct.name, priority: 3, group: 'g' })));
  await Promise.all(handles.map((x) => x.result()));
  expect(h.provider.maxActive).toBe(1);
  expect(h.provider.submits).toHaveLength(12);
  const now = await h.env.client.workflow.getHandle(limiterWorkflowId(acct.name)).describe();
  expect(now.runId).not.toBe(firstRun);
  const view = await acct.view();
  expect(view).toMatchObject({ leases: 0, granted: 12 });
});

test("the lease of a terminated shot is reclaimed by the limiter's sweep and goes to the next shot", async () => {
  const acct = await account({ maxActivePerModel: 1, sweepIntervalMs: 1_000 });
  h.provider.onPoll('doomed', { status: 'running' });
  const doomed = await shot('doomed', { account: acct.name, priority: 3, group: 'g' });
  await waitFor('the doomed shot holds the lease', acct.view, (v) => v.leases === 1);
  const next = await shot('next', { account: acct.name, priority: 3, group: 'g' });
  await waitFor('the next shot waits', acct.view, (v) => waiting(v) === 1);
  // Terminated: no finally runs, nothing gives the lease back but the sweep.
  await doomed.terminate('simulated crash');
  const result = await next.result();
  expect(result.status).toBe('stored');
  const view = await acct.view();
  expect(view).toMatchObject({ reclaimed: 1, leases: 0 });
});

test('a shot cancelled while it waits withdraws its request at once (not left for the sweep)', async () => {
  const acct = await account({ maxActivePerModel: 1 });
  h.provider.onPoll('holder', { status: 'running' });
  const holder = await shot('holder', { account: acct.name, priority: 3, group: 'g' });
  await waitFor('the holder holds the lease', acct.view, (v) => v.leases === 1);
  const impatient = await shot('impatient', { account: acct.name, priority: 3, group: 'g' });
  await waitFor('the impatient shot waits', acct.view, (v) => waiting(v) === 1);
  await impatient.cancel();
  // The sweep runs every minute by default: within seconds, only the withdrawal can explain it.
  await waitFor('the request withdrawn', acct.view, (v) => waiting(v) === 0, 10_000);
  h.provider.onPoll('holder', { status: 'succeeded' });
  await holder.result();
  expect(h.provider.submitsOf('impatient')).toHaveLength(0);
  expect(await acct.view()).toMatchObject({ leases: 0, granted: 1, reclaimed: 0 });
});
