/**
 * Account-wide admission control: the leases the account's limiter workflow
 * (workflows/admission-limiter.ts) grants, and the pure rules it grants them by. No I/O:
 * the limiter workflow imports this module, and so do unit tests.
 *
 * A lease is one provider task's place at the account: held from a submit attempt until the
 * task's terminal status. At most `limit(model)` leases per model (adaptive, at most
 * `maxActivePerModel`), at most `maxQueued` leases in total (the provider's queue).
 */
import { z } from 'zod';
import { sharedSchema } from './shared-schema';

/** Storyboard and video priority: 5 is served first, 1 last. */
export const PrioritySchema = sharedSchema('admission.PrioritySchema', () => z.number().int().min(1).max(5));
export const DEFAULT_PRIORITY = 3;

const KEY = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
/** An account or team key: 1-64 letters, digits, . _ : - */
export const AdmissionKeySchema = sharedSchema('admission.AdmissionKeySchema', () =>
  z.string().regex(KEY, '1-64 letters, digits, . _ : -'),
);

/**
 * What a render carries to take part in admission control: the account whose limiter it asks,
 * its priority, and its fairness group (a team key, else its storyboard). Absent: no limiter.
 */
export const AdmissionInputSchema = sharedSchema('admission.AdmissionInputSchema', () =>
  z.object({
    account: z.string().regex(KEY, 'account: 1-64 letters, digits, . _ : -'),
    priority: PrioritySchema.default(DEFAULT_PRIORITY),
    /** Leases are shared round-robin between groups of equal priority (a team key, or the storyboard id). */
    group: z.string().regex(KEY, 'group: 1-64 letters, digits, . _ : -').optional(),
  }),
);
export type AdmissionInput = z.input<typeof AdmissionInputSchema>;
export type Admission = z.output<typeof AdmissionInputSchema>;

/** The limiter's workflow id for an account. */
export const limiterWorkflowId = (account: string) => `seedance-admission/${account}`;

/** Temporal's own task priority for a 1-5 priority (Temporal: 1 is served first). */
export const temporalPriority = (priority: number, fairnessKey?: string) => ({
  priorityKey: 6 - priority,
  ...(fairnessKey ? { fairnessKey: fairnessKey.slice(0, 64) } : {}),
});

export const LimitsConfigSchema = sharedSchema('admission.LimitsConfigSchema', () =>
  z.object({
    maxActivePerModel: z.number().int().min(1).max(10_000).default(10),
    maxQueued: z.number().int().min(1).max(100_000).default(120),
    /** How often the limiter checks that lease holders' workflows still run. */
    sweepIntervalMs: z.number().int().min(1_000).default(60_000),
    /** Continue-as-new after this many history events (tests lower it). */
    maxHistoryEvents: z.number().int().min(100).default(10_000),
  }),
);
export type LimitsConfig = z.output<typeof LimitsConfigSchema>;

export const LeaseRequestSchema = sharedSchema('admission.LeaseRequestSchema', () =>
  z.object({
    /** Deterministic: the shot's workflow id, run id and submit attempt, so a retried request is the same request. */
    leaseId: z.string().min(1).max(1200),
    workflowId: z.string().min(1).max(1000),
    runId: z.string().min(1).max(100),
    model: z.string().min(1).max(200),
    priority: PrioritySchema,
    group: z.string().min(1).max(200),
  }),
);
export type LeaseRequest = z.infer<typeof LeaseRequestSchema>;

const LeaseSchema = sharedSchema('admission.LeaseSchema', () =>
  LeaseRequestSchema.extend({ grantedAt: z.number(), submitted: z.boolean() }),
);
const WaiterSchema = sharedSchema('admission.WaiterSchema', () => LeaseRequestSchema.extend({ seq: z.number().int(), since: z.number() }));
const ModelStateSchema = sharedSchema('admission.ModelStateSchema', () =>
  z.object({
    /** Admitted concurrency now: lowered on 429s, raised back on successful submits. */
    limit: z.number().int().min(1),
    /** Successful submits since the last increase. */
    successes: z.number().int().min(0),
    /** No grants for this model before this time (Retry-After). */
    coolUntil: z.number(),
    throttles: z.number().int().min(0),
  }),
);
export type Lease = z.infer<typeof LeaseSchema>;
export type Waiter = z.infer<typeof WaiterSchema>;
export type ModelState = z.infer<typeof ModelStateSchema>;

/** Everything the limiter knows: carried across continue-as-new. */
export const LimiterStateSchema = sharedSchema('admission.LimiterStateSchema', () =>
  z.object({
    config: LimitsConfigSchema,
    leases: z.array(LeaseSchema),
    waiters: z.array(WaiterSchema),
    models: z.record(z.string(), ModelStateSchema),
    /** Per fairness group, the grant tick it was last served at (round-robin: the least recently served goes next). */
    served: z.record(z.string(), z.number().int()),
    tick: z.number().int(),
    seq: z.number().int(),
    granted: z.number().int(),
    reclaimed: z.number().int(),
  }),
);
export type LimiterState = z.infer<typeof LimiterStateSchema>;

export const LimiterInputSchema = sharedSchema('admission.LimiterInputSchema', () =>
  z.object({
    config: LimitsConfigSchema.partial().optional(),
    /** Carried across continue-as-new; callers leave it out. */
    state: LimiterStateSchema.optional(),
  }),
);
export type LimiterInput = z.input<typeof LimiterInputSchema>;

/** Names shared by the limiter workflow, the shots and the activity that asks (which may not import workflows). */
export const LIMITER_WORKFLOW = 'admissionLimiter';
export const REQUEST_LEASE_SIGNAL = 'requestLease';
export const LEASE_EVENT_SIGNAL = 'admissionLease';
export const LEASE_GRANTED_SIGNAL = 'admissionGranted';
export const LIMITS_QUERY = 'admissionLimits';

/** What a shot tells its limiter about its lease. */
export interface LeaseEvent {
  leaseId: string;
  event: 'submitted' | 'released' | 'throttled';
  /** With `throttled`: the provider's Retry-After. */
  retryAfterMs?: number;
}

/** A run holding or waiting for a lease. */
export interface HolderRef {
  workflowId: string;
  runId: string;
}

/** What the `limits` query and CLI show. */
export interface LimitsView {
  config: LimitsConfig;
  leases: number;
  models: Record<string, { leases: number; limit: number; max: number; waiting: number; coolUntil?: number; throttles: number }>;
  waitingByGroup: Record<string, number>;
  granted: number;
  reclaimed: number;
}

export function newLimiterState(config: Partial<LimitsConfig> = {}): LimiterState {
  return {
    config: LimitsConfigSchema.parse(config),
    leases: [],
    waiters: [],
    models: {},
    served: {},
    tick: 0,
    seq: 0,
    granted: 0,
    reclaimed: 0,
  };
}

/** Adopts new limits (a worker restarted with other settings); adaptive limits above the new maximum come down. */
export function applyConfig(state: LimiterState, config: Partial<LimitsConfig>): void {
  state.config = LimitsConfigSchema.parse({ ...state.config, ...config });
  for (const m of Object.values(state.models)) m.limit = Math.min(m.limit, state.config.maxActivePerModel);
}

function model(state: LimiterState, name: string): ModelState {
  let m = state.models[name];
  if (!m) {
    m = { limit: state.config.maxActivePerModel, successes: 0, coolUntil: 0, throttles: 0 };
    state.models[name] = m;
  }
  return m;
}

/** Registers a request (idempotent by lease id); the grant itself is decided by {@link grantWaiting}. */
export function request(state: LimiterState, req: LeaseRequest, now: number): void {
  if (state.leases.some((l) => l.leaseId === req.leaseId) || state.waiters.some((w) => w.leaseId === req.leaseId)) return;
  state.waiters.push({ ...req, seq: ++state.seq, since: now });
}

/** Whether a lease for `name` may be granted now. */
function hasRoom(state: LimiterState, name: string, now: number): boolean {
  if (state.leases.length >= state.config.maxQueued) return false;
  const m = model(state, name);
  return now >= m.coolUntil && state.leases.filter((l) => l.model === name).length < m.limit;
}

/**
 * Grants every waiting request there is room for: the highest priority first; among equal
 * priorities the group served least recently (round-robin); within a group, first come first
 * served. Returns the new leases.
 */
export function grantWaiting(state: LimiterState, now: number): Lease[] {
  const out: Lease[] = [];
  for (;;) {
    const room = new Map<string, boolean>();
    let best: Waiter | undefined;
    for (const w of state.waiters) {
      let ok = room.get(w.model);
      if (ok === undefined) room.set(w.model, (ok = hasRoom(state, w.model, now)));
      if (ok && (!best || before(state, w, best))) best = w;
    }
    if (!best) return out;
    const chosen = best;
    state.waiters = state.waiters.filter((w) => w !== chosen);
    state.served[chosen.group] = ++state.tick;
    const { seq: _seq, since: _since, ...req } = chosen;
    const lease: Lease = { ...req, grantedAt: now, submitted: false };
    state.leases.push(lease);
    state.granted++;
    out.push(lease);
  }
}

function before(state: LimiterState, a: Waiter, b: Waiter): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  const sa = state.served[a.group] ?? 0;
  const sb = state.served[b.group] ?? 0;
  if (a.group !== b.group && sa !== sb) return sa < sb;
  return a.seq < b.seq;
}

/** The lease's task was accepted: additive increase, +1 after `limit` successful submits, up to the maximum. */
export function submitted(state: LimiterState, leaseId: string): void {
  const lease = state.leases.find((l) => l.leaseId === leaseId);
  if (!lease || lease.submitted) return;
  lease.submitted = true;
  const m = model(state, lease.model);
  if (m.limit >= state.config.maxActivePerModel) return;
  if (++m.successes >= m.limit) {
    m.limit++;
    m.successes = 0;
  }
}

/**
 * The lease's submit was answered 429: multiplicative decrease (halved, never below 1), and no
 * grants for the model until Retry-After has passed. 429s reported during a cool-down belong to
 * the same storm and lower the limit only once. Releases the lease.
 */
export function throttled(state: LimiterState, leaseId: string, retryAfterMs: number, now: number): void {
  const lease = state.leases.find((l) => l.leaseId === leaseId);
  const name = lease?.model;
  release(state, leaseId);
  if (name === undefined) return;
  const m = model(state, name);
  m.throttles++;
  if (now >= m.coolUntil) {
    m.limit = Math.max(1, Math.floor(m.limit / 2));
    m.successes = 0;
  }
  m.coolUntil = Math.max(m.coolUntil, now + Math.max(0, retryAfterMs));
}

/** Takes a lease back (or withdraws a waiting request). */
export function release(state: LimiterState, leaseId: string): void {
  state.leases = state.leases.filter((l) => l.leaseId !== leaseId);
  state.waiters = state.waiters.filter((w) => w.leaseId !== leaseId);
}

/** The runs holding or waiting for leases, for the sweep that reclaims closed ones. */
export function holders(state: LimiterState): { workflowId: string; runId: string }[] {
  const seen = new Map<string, { workflowId: string; runId: string }>();
  for (const h of [...state.leases, ...state.waiters])
    seen.set(`${h.workflowId}\u0000${h.runId}`, { workflowId: h.workflowId, runId: h.runId });
  return [...seen.values()];
}

/** Reclaims the leases and requests of runs that closed without releasing them; returns how many. */
export function reclaim(state: LimiterState, closed: { workflowId: string; runId: string }[]): number {
  const gone = new Set(closed.map((c) => `${c.workflowId}\u0000${c.runId}`));
  const isGone = (h: { workflowId: string; runId: string }) => gone.has(`${h.workflowId}\u0000${h.runId}`);
  const held = state.leases.length;
  state.leases = state.leases.filter((l) => !isGone(l));
  state.waiters = state.waiters.filter((w) => !isGone(w));
  state.reclaimed += held - state.leases.length;
  return held - state.leases.length;
}

/** Drops round-robin bookkeeping of groups with nothing waiting or held (keeps carried state small). */
export function pruneServed(state: LimiterState): void {
  const live = new Set([...state.leases, ...state.waiters].map((x) => x.group));
  for (const g of Object.keys(state.served)) if (!live.has(g)) delete state.served[g];
}

/** The earliest cool-down end still ahead, for the limiter's next wake-up. */
export function nextCoolEnd(state: LimiterState, now: number): number | undefined {
  const ends = Object.values(state.models)
    .map((m) => m.coolUntil)
    .filter((t) => t > now);
  return ends.length ? Math.min(...ends) : undefined;
}

export function view(state: LimiterState): LimitsView {
  const models: LimitsView['models'] = {};
  for (const [name, m] of Object.entries(state.models)) {
    models[name] = {
      leases: state.leases.filter((l) => l.model === name).length,
      limit: m.limit,
      max: state.config.maxActivePerModel,
      waiting: state.waiters.filter((w) => w.model === name).length,
      throttles: m.throttles,
      ...(m.coolUntil > 0 ? { coolUntil: m.coolUntil } : {}),
    };
  }
  const waitingByGroup: Record<string, number> = {};
  for (const w of state.waiters) waitingByGroup[w.group] = (waitingByGroup[w.group] ?? 0) + 1;
  return { config: state.config, leases: state.leases.length, models, waitingByGroup, granted: state.granted, reclaimed: state.reclaimed };
}
