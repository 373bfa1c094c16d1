/**
 * The limiter's rules (common/admission.ts), without Temporal: grant order, the per-model and
 * total bounds, AIMD, reclaiming closed runs, and the state surviving a zod round trip (as it
 * does across continue-as-new).
 */
import {
  grantWaiting,
  LimiterStateSchema,
  newLimiterState,
  reclaim,
  release,
  request,
  submitted,
  throttled,
  view,
  type LeaseRequest,
} from '../../common/admission';

const req = (leaseId: string, extra: Partial<LeaseRequest> = {}): LeaseRequest => ({
  leaseId,
  workflowId: `wf-${leaseId}`,
  runId: 'run',
  model: 'm',
  priority: 3,
  group: 'g',
  ...extra,
});
const ids = (leases: { leaseId: string }[]) => leases.map((l) => l.leaseId);

test('at most maxActivePerModel per model and maxQueued in total; a repeated request is the same request', () => {
  const s = newLimiterState({ maxActivePerModel: 2, maxQueued: 3 });
  for (const id of ['a', 'b', 'c']) request(s, req(id), 0);
  request(s, req('a'), 0);
  request(s, req('x', { model: 'other' }), 0);
  request(s, req('y', { model: 'other' }), 0);
  expect(ids(grantWaiting(s, 0))).toEqual(['a', 'b', 'x']);
  expect(s.waiters).toHaveLength(2);
  release(s, 'a');
  expect(ids(grantWaiting(s, 0))).toEqual(['c']);
});

test('priority first, then the least recently served group, then first come first served', () => {
  const s = newLimiterState({ maxActivePerModel: 1 });
  request(s, req('hold'), 0);
  grantWaiting(s, 0);
  for (const id of ['a1', 'a2', 'a3']) request(s, req(id, { group: 'big' }), 0);
  request(s, req('b1', { group: 'small' }), 0);
  request(s, req('urgent', { group: 'late', priority: 5 }), 0);
  const order: string[] = [];
  let held = 'hold';
  for (let i = 0; i < 5; i++) {
    release(s, held);
    const [next] = grantWaiting(s, 0);
    held = next?.leaseId ?? '';
    order.push(held);
  }
  expect(order).toEqual(['urgent', 'a1', 'b1', 'a2', 'a3']);
});

test('AIMD: a 429 halves the limit once per cool-down and blocks grants until Retry-After; successes add one per round', () => {
  const s = newLimiterState({ maxActivePerModel: 8 });
  for (const id of ['1', '2', '3']) request(s, req(id), 0);
  grantWaiting(s, 0);
  throttled(s, '1', 5_000, 1_000);
  throttled(s, '2', 5_000, 1_100);
  expect(s.models.m).toMatchObject({ limit: 4, throttles: 2, coolUntil: 6_100 });
  request(s, req('4'), 1_200);
  expect(grantWaiting(s, 6_000)).toHaveLength(0);
  expect(ids(grantWaiting(s, 6_100))).toEqual(['4']);
  throttled(s, '4', 1_000, 7_000);
  expect(s.models.m?.limit).toBe(2);
  throttled(s, '3', 0, 9_000);
  expect(s.models.m?.limit).toBe(1);
  throttled(s, 'gone', 0, 9_500);
  expect(s.models.m?.limit).toBe(1);
  const limits: number[] = [];
  for (let i = 0; i < 6; i++) {
    request(s, req(`ok${i}`), 10_000);
    grantWaiting(s, 10_000);
    submitted(s, `ok${i}`);
    submitted(s, `ok${i}`);
    release(s, `ok${i}`);
    limits.push(s.models.m?.limit ?? 0);
  }
  expect(limits).toEqual([2, 2, 3, 3, 3, 4]);
});

test('leases and requests of closed runs are reclaimed; the state survives the continue-as-new schema', () => {
  const s = newLimiterState({ maxActivePerModel: 1 });
  request(s, req('dead', { workflowId: 'w1' }), 0);
  request(s, req('dead-waiting', { workflowId: 'w1', leaseId: 'dw' }), 0);
  request(s, req('alive', { workflowId: 'w2' }), 0);
  grantWaiting(s, 0);
  const carried = LimiterStateSchema.parse(JSON.parse(JSON.stringify(s)));
  expect(reclaim(carried, [{ workflowId: 'w1', runId: 'run' }])).toBe(1);
  expect(ids(grantWaiting(carried, 0))).toEqual(['alive']);
  expect(view(carried)).toMatchObject({ leases: 1, reclaimed: 1, waitingByGroup: {} });
});
