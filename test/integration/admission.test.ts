/**
 * Account-wide admission control end to end: real workers, the dev server and the simulator.
 * Several storyboards share one account's limiter (SEEDANCE_MAX_ACTIVE_PER_MODEL=10): the
 * simulator never sees more than 10 tasks in flight, priority decides who goes next, a small
 * storyboard is not starved by a big one, and a storm of 429s lowers the admitted concurrency,
 * which recovers afterwards.
 */
import { randomUUID } from 'node:crypto';
import { limiterWorkflowId, type LimitsView } from '../../common/admission';
import { limitsQuery } from '../../workflows';
import { startHarness, waitFor, type Harness } from '../helpers/harness';
import { boardDoc, stageBoard, startBoard } from '../helpers/storyboard';
import { runCli } from '../helpers/cli';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

jest.setTimeout(600_000);

let h: Harness;
const accounts: string[] = [];
beforeAll(async () => {
  h = await startHarness({ sim: { renderMs: 1200, queueMs: 100 }, env: { SEEDANCE_MAX_ACTIVE_PER_MODEL: '10' } });
});
afterAll(async () => {
  // Limiters are long-lived by design: end this file's own on the shared server.
  await Promise.allSettled(accounts.map((a) => h.client.workflow.getHandle(limiterWorkflowId(a)).terminate('test done')));
  await h?.stop();
});
beforeEach(() => h.sim.reset());

const uniqueId = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;
function account(): string {
  const a = uniqueId('acct');
  accounts.push(a);
  return a;
}
const limits = (a: string) => h.client.workflow.getHandle(limiterWorkflowId(a)).query<LimitsView>(limitsQuery);
/** Simulator tasks of a storyboard (boardDoc's prompts name it), in creation order. */
const tasksOf = (id: string) =>
  h.sim
    .stats()
    .tasks.filter((t) => t.prompt.endsWith(` of ${id}`))
    .sort((a, b) => a.createdAt - b.createdAt);

test('three storyboards of window 20 against a limit of 10: never more than 10 tasks in flight, every shot stored, priority 5 started last goes first', async () => {
  const acct = account();
  const [a, b, urgent] = [uniqueId('low-a'), uniqueId('low-b'), uniqueId('urgent')];
  const [stagedA, stagedB, stagedU] = await Promise.all([
    stageBoard(h, boardDoc(a, 40)),
    stageBoard(h, boardDoc(b, 40)),
    stageBoard(h, boardDoc(urgent, 15)),
  ]);
  const handleA = await startBoard(h, stagedA, { window: 20, admission: { account: acct, priority: 3 } });
  const handleB = await startBoard(h, stagedB, { window: 20, admission: { account: acct, priority: 3 } });
  await waitFor(
    'the low-priority boards fill the limit and queue',
    () => limits(acct).catch(() => undefined),
    (v) => (v?.leases ?? 0) === 10 && Object.keys(v?.waitingByGroup ?? {}).length === 2,
    60_000,
  );
  const handleU = await startBoard(h, stagedU, { window: 20, admission: { account: acct, priority: 5 } });
  const [resA, resB, resU] = await Promise.all([handleA.result(), handleB.result(), handleU.result()]);

  expect([resA.counts.stored, resB.counts.stored, resU.counts.stored]).toEqual([40, 40, 15]);
  for (const r of [resA, resB, resU]) expect(r.counts.failed).toBe(0);
  const stats = h.sim.stats();
  // Tasks in flight at the provider (queued or running), as the simulator saw them.
  expect(stats.maxConcurrent).toBeLessThanOrEqual(10);
  // (The limiter did hand out all 10 leases, see the wait above; the simulator sees fewer at once
  // because a lease is held until the shot's poll sees the terminal status.)
  expect(Object.values(stats.submissionsByPrompt).every((n) => n === 1)).toBe(true);
  // Once the urgent board's shots asked, every freed lease went to them: of the others, only
  // shots whose request raced the urgent board's first requests (at most one limit's worth) were
  // submitted between its first and its last shot.
  const urgentTasks = tasksOf(urgent);
  const first = urgentTasks[0]?.createdAt ?? 0;
  const last = urgentTasks.at(-1)?.createdAt ?? 0;
  const othersBetween = [...tasksOf(a), ...tasksOf(b)].filter((t) => t.createdAt > first && t.createdAt < last).length;
  expect(othersBetween).toBeLessThanOrEqual(10);
  // And the others still had shots left when the urgent board was done.
  expect([...tasksOf(a), ...tasksOf(b)].filter((t) => t.createdAt > last).length).toBeGreaterThan(20);
});

test('a 10-shot storyboard started after a 1,000-shot one at equal priority is not starved: round-robin gives it every other lease', async () => {
  h.sim.configure({ renderMs: 600, queueMs: 50 });
  const acct = account();
  const [big, small] = [uniqueId('big'), uniqueId('small')];
  const [stagedBig, stagedSmall] = await Promise.all([stageBoard(h, boardDoc(big, 1000)), stageBoard(h, boardDoc(small, 10))]);
  const handleBig = await startBoard(h, stagedBig, { window: 20, admission: { account: acct, priority: 3 } });
  await waitFor(
    'the big board fills the limit and queues',
    () => limits(acct).catch(() => undefined),
    (v) => (v?.leases ?? 0) === 10 && (v?.waitingByGroup[big] ?? 0) >= 5,
    60_000,
  );
  const startedSmall = Date.now();
  const resSmall = await (await startBoard(h, stagedSmall, { window: 20, admission: { account: acct, priority: 3 } })).result();
  const smallTook = Date.now() - startedSmall;
  await handleBig.cancel();

  expect(resSmall.counts).toMatchObject({ stored: 10, failed: 0 });
  const smallTasks = tasksOf(small);
  const firstSmall = smallTasks[0]?.createdAt ?? 0;
  const lastSmall = smallTasks.at(-1)?.createdAt ?? 0;
  // The bound: with leases alternating between the two boards, the small board's ten shots are
  // all submitted within 2 x 10 grants; the big board gets at most ~10 of them (+2 racing).
  const bigBetween = tasksOf(big).filter((t) => t.createdAt > firstSmall && t.createdAt < lastSmall).length;
  expect(bigBetween).toBeLessThanOrEqual(12);
  expect(h.sim.stats().maxConcurrent).toBeLessThanOrEqual(10);
  // Loosely in time too: ~2 rounds of renders, far less than the big board's ~100 rounds.
  expect(smallTook).toBeLessThan(60_000);
});

test('a storm of 429s lowers the admitted concurrency; it recovers to the maximum once the account accepts again', async () => {
  const acct = account();
  // The account's real limit is 4 tasks; beyond it, submits are answered 429 (Retry-After 1 s).
  h.sim.configure({ renderMs: 800, queueMs: 50, maxTasksInFlight: 4, retryAfterSeconds: 1 });
  const storm = uniqueId('storm');
  const resStorm = await (
    await startBoard(h, await stageBoard(h, boardDoc(storm, 30)), { window: 20, admission: { account: acct } })
  ).result();
  expect(resStorm.counts).toMatchObject({ stored: 30, failed: 0 });
  const during = Object.values((await limits(acct)).models)[0];
  expect(during?.throttles).toBeGreaterThan(0);
  expect(during?.limit).toBeLessThan(10);
  expect(h.sim.stats().maxConcurrent).toBeLessThanOrEqual(4);

  h.sim.configure({ maxTasksInFlight: null });
  const calm = uniqueId('calm');
  const resCalm = await (
    await startBoard(h, await stageBoard(h, boardDoc(calm, 60)), { window: 20, admission: { account: acct } })
  ).result();
  expect(resCalm.counts).toMatchObject({ stored: 60, failed: 0 });
  const after = Object.values((await limits(acct)).models)[0];
  expect(after?.limit).toBe(10);
});

test('the CLI renders through the account limiter (admission on by default) and `limits` shows it', async () => {
  const acct = account();
  const env = { SEEDANCE_ACCOUNT: acct };
  const none = await runCli(h, ['limits', '--json'], env);
  expect(none.code).toBe(0);
  expect(JSON.parse(none.stdout)).toMatchObject({ account: acct, running: false });

  const id = uniqueId('cli-board');
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'sf-adm-')), 'board.json');
  writeFileSync(file, JSON.stringify({ ...boardDoc(id, 4), priority: 4 }));
  const rendered = await runCli(h, ['render', file, '--wait', '--json', '--team', 'team-x'], env);
  expect(rendered.code).toBe(0);

  const shown = await runCli(h, ['limits', '--json'], env);
  expect(shown.code).toBe(0);
  const view = JSON.parse(shown.stdout) as LimitsView & { running: boolean };
  expect(view).toMatchObject({ running: true, leases: 0, granted: 4 });
  expect(Object.values(view.models)[0]).toMatchObject({ limit: 10, max: 10 });
  const human = await runCli(h, ['limits'], env);
  expect(human.stdout).toContain(`account ${acct}: 0 lease(s) held`);
  expect(human.stdout).toContain('granted 4');
});
