/**
 * admissionLimiter: one long-lived workflow per provider account that grants leases to shots
 * (common/admission.ts has the rules). Why these mechanics:
 *   - A shot asks with the `requestLease` signal (sent by an activity, with signal-with-start so
 *     the first shot creates the limiter); the grant arrives as an `admissionGranted` signal,
 *     durable in the shot's history, so no activity slot waits for a lease. Signals rather than
 *     updates: a server admits only a few updates in flight per workflow (10 on the dev server),
 *     and a storyboard's window asks for many more at once. A shot that hears nothing for two
 *     minutes asks again: the lease id is deterministic, so asking again is the same request
 *     (idempotent; a lease already granted is granted again), and it also covers a limiter that
 *     was terminated and started afresh.
 *   - Shots report `submitted` / `released` / `throttled` with signals (workflows cannot send updates).
 *   - Everything lives in one zod-checked state carried across continue-as-new; grant signals
 *     still in flight are awaited before continuing, and handlers are synchronous.
 *   - A periodic sweep asks an activity which holders' runs have closed (crash, cancel,
 *     termination) and takes their leases back.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { AdmissionActivities } from '../activities/admission/activities';
import {
  applyConfig,
  grantWaiting,
  holders,
  LEASE_EVENT_SIGNAL,
  LEASE_GRANTED_SIGNAL,
  LeaseRequestSchema,
  LimiterInputSchema,
  LIMITS_QUERY,
  newLimiterState,
  nextCoolEnd,
  pruneServed,
  reclaim,
  release,
  request,
  REQUEST_LEASE_SIGNAL,
  submitted,
  throttled,
  view,
  type Lease,
  type LeaseEvent,
  type LeaseRequest,
  type LimiterInput,
  type LimitsConfig,
  type LimitsView,
} from '../common/admission';

/**
 * Signal: ask for a lease (idempotent by lease id); the grant comes as the `admissionGranted`
 * signal. The second argument is the asking worker's configured limits, adopted by the limiter.
 */
export const requestLeaseSignal = defineSignal<[LeaseRequest, Partial<LimitsConfig>]>(REQUEST_LEASE_SIGNAL);
/** Signal from a shot: its lease's task was submitted, or the lease is given back (after a 429: `throttled`). */
export const leaseEventSignal = defineSignal<[LeaseEvent]>(LEASE_EVENT_SIGNAL);
/** Signal to a shot: its lease is granted (the argument is the lease id). */
export const leaseGrantedSignal = defineSignal<[string]>(LEASE_GRANTED_SIGNAL);

/**
 * Query: leases held and adaptive limits per model, waiting shots by group.
 *
 * @example
 *   const limits = await client.workflow.getHandle(limiterWorkflowId('default')).query(limitsQuery);
 */
export const limitsQuery = defineQuery<LimitsView>(LIMITS_QUERY);

const { closedRuns } = proxyActivities<AdmissionActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 5 },
});

/** The account's admission limiter (see the module comment). Runs until terminated; continues as new to keep its history short. */
export async function admissionLimiter(rawInput: LimiterInput = {}): Promise<void> {
  const input = LimiterInputSchema.parse(rawInput);
  const state = input.state ?? newLimiterState(input.config ?? {});
  if (input.state && input.config) applyConfig(state, input.config);
  let dirty = true;
  const inFlight = new Set<Promise<void>>();

  const dispatch = (leases: Lease[]) => {
    for (const lease of leases) {
      const sent = getExternalWorkflowHandle(lease.workflowId, lease.runId)
        .signal(leaseGrantedSignal, lease.leaseId)
        .catch((err: unknown) => {
          // The shot's run is gone: its lease goes to the next one.
          log.info('grant not delivered; lease taken back', { leaseId: lease.leaseId, error: String(err) });
          release(state, lease.leaseId);
          dirty = true;
        })
        .finally(() => inFlight.delete(sent));
      inFlight.add(sent);
    }
  };

  setHandler(requestLeaseSignal, (raw, config) => {
    // Signals have no validator: a malformed request is logged and dropped, never kept in the state.
    const parsed = LeaseRequestSchema.safeParse(raw);
    if (!parsed.success) {
      log.warn('malformed lease request dropped', { error: parsed.error.message });
      return;
    }
    applyConfig(state, config);
    const req = parsed.data;
    const held = state.leases.find((l) => l.leaseId === req.leaseId);
    // Asked again for a lease it holds (its grant signal was still in flight): granting again is harmless.
    if (held) dispatch([held]);
    else request(state, req, Date.now());
    dirty = true;
  });
  setHandler(leaseEventSignal, (e) => {
    if (e.event === 'submitted') submitted(state, e.leaseId);
    else if (e.event === 'throttled') throttled(state, e.leaseId, e.retryAfterMs ?? 0, Date.now());
    else release(state, e.leaseId);
    dirty = true;
  });
  setHandler(limitsQuery, () => view(state));

  const timeToContinue = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= state.config.maxHistoryEvents;
  let nextSweep = Date.now() + state.config.sweepIntervalMs;
  for (;;) {
    if (dirty) {
      dirty = false;
      dispatch(grantWaiting(state, Date.now()));
    }
    if (Date.now() >= nextSweep) {
      const runs = holders(state);
      if (runs.length > 0) {
        try {
          const taken = reclaim(state, await closedRuns(runs));
          if (taken > 0) log.warn('leases of closed runs reclaimed', { taken });
        } catch (err) {
          log.warn('lease sweep failed; trying again next interval', { error: String(err) });
        }
        dirty = true;
      }
      pruneServed(state);
      nextSweep = Date.now() + state.config.sweepIntervalMs;
    }
    if (timeToContinue()) {
      await condition(allHandlersFinished);
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      dispatch(grantWaiting(state, Date.now()));
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      await continueAsNew<typeof admissionLimiter>({ state });
    }
    const now = Date.now();
    const wakeAt = Math.min(holders(state).length > 0 ? nextSweep : Infinity, nextCoolEnd(state, now) ?? Infinity);
    if (wakeAt === Infinity) await condition(() => dirty || timeToContinue());
    else await condition(() => dirty || timeToContinue(), Math.max(1, wakeAt - now));
    // Woken by a timer: a cool-down may have ended, so look for grants again.
    dirty = true;
  }
}
