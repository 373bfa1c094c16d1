/**
 * Scenario 2 with provider callbacks (issue 13): polls per shot and detection latency when the
 * provider calls back each task and polling is only the slow safety net, beside polling alone,
 * over the same renders; with every callback delivered and with half of them lost.
 *
 *   model:    the safety schedule's arithmetic over the sampled renders: a render is seen at
 *             the earlier of its terminal callback (when not lost) plus the callback's round
 *             trip, and the first safety poll at or after its end; every safety poll before
 *             that moment and the GET that confirms it are counted. The round trip (delivery,
 *             signal, workflow task, GET) is the measured median when the measurement ran.
 *   measured: real renderVideo workflows on a worker with the `callbacks` role, against the
 *             simulator (a second one loses half the callbacks), every duration divided by
 *             `scale`. Polls need no scaling back. A shot seen by its callback is reported at
 *             its real latency (the round trip is not a duration the scaling shrank); one seen
 *             by the safety poll is scaled back like the polling rows.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { createServer, type AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { ConfigSchema } from '../../common/config';
import { PROVIDER_CALLBACK_SIGNAL, type ProviderCallback } from '../../common/callbacks';
import { pollDelayMs, type PollSchedule } from '../../common/poll-schedule';
import type { RenderVideoResult } from '../../common/render';
import type { RunningSimulator } from '../../simulator';
// The simulator's seeded stream, so that "which callbacks are lost" is the same on every run.
import { mulberry32 as prng } from '../../simulator/prng';
import { renderVideo } from '../../workflows';
import type { BenchContext } from '../lib/context';
import { startSim } from '../lib/context';
import { activityEvents, tsMs } from '../lib/flow';
import { startFlowWorker, stopFlowWorker } from '../lib/systems';
import { log, median, promisePool, round } from '../lib/util';
import { figures, nameOf, type ScheduleFigures, type ScheduleShape } from './polling';

/** The product's default safety net (SEEDANCE_CALLBACK_POLL_INITIAL_MS / _MAX_INTERVAL_MS), with the default schedule's factor. */
export function defaultSafety(backoffFactor: number): ScheduleShape {
  return {
    initialDelayMs: ConfigSchema.shape.SEEDANCE_CALLBACK_POLL_INITIAL_MS.parse(undefined),
    backoffFactor,
    maxIntervalMs: ConfigSchema.shape.SEEDANCE_CALLBACK_POLL_MAX_INTERVAL_MS.parse(undefined),
  };
}

export interface CallbackFigures extends ScheduleFigures {
  /** Share of renders seen by their callback (the rest by a safety poll). */
  byCallback: number;
}

export interface CallbackModelRow extends CallbackFigures {
  name: string;
  lossRate: number;
}

export interface CallbackMeasuredRow extends CallbackFigures {
  name: string;
  lossRate: number;
  shots: number;
  failed: number;
  /** Median real time from the provider's success to the confirming GET's answer, for renders seen by callback. */
  roundTripSeconds: number;
}

export interface CallbacksResult {
  safety: ScheduleShape;
  safetyName: string;
  /** The round trip the model assumed, seconds (measured median; 0 without a measurement). */
  modelRoundTripSeconds: number;
  model: CallbackModelRow[];
  /**
   * The safety net's trade-off (model): fixed safety intervals, each with callbacks none lost
   * and half lost. A lost terminal callback waits for the next safety poll, so the interval
   * that keeps GETs near one a shot is the latency of every lost one.
   */
  tradeoff: Array<{ safetyName: string; intervalMs: number; none: CallbackFigures; half: CallbackFigures }>;
  measured?: { scale: number; rows: CallbackMeasuredRow[] };
}

/** The model: polls and latency of each render under callbacks with `lossRate`, safety net `safety`. */
export function modelCallbacks(
  safety: ScheduleShape,
  renders: number[],
  lossRate: number,
  roundTripMs: number,
  seed = 11,
): CallbackFigures {
  const s: PollSchedule = { ...safety, deadlineMs: Number.MAX_SAFE_INTEGER };
  const maxRender = Math.max(...renders) + roundTripMs;
  const times: number[] = [];
  for (let i = 0, t = 0; t < maxRender; i++) {
    t += pollDelayMs(s, i);
    times.push(t);
  }
  /** Index of the first safety poll at or after `at`. */
  const firstAtOrAfter = (at: number) => {
    let lo = 0;
    let hi = times.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((times[mid] as number) >= at) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
  const lost = prng(seed);
  const polls: number[] = [];
  const lat: number[] = [];
  let byCallback = 0;
  for (const r of renders) {
    const k = firstAtOrAfter(r); // the safety poll that would see it
    const pollAt = times[k] as number;
    const callbackAt = lost() < lossRate ? Infinity : r + roundTripMs;
    if (callbackAt < pollAt) {
      byCallback++;
      polls.push(k + 1); // the k safety polls before the end (all earlier than r), then the confirming GET
      lat.push(callbackAt - r);
    } else {
      polls.push(k + 1);
      lat.push(pollAt - r);
    }
  }
  return { ...figures(polls, lat), byCallback: byCallback / renders.length };
}

/** A TCP port free on loopback now, for the worker's callback receiver. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The worker variables that turn callbacks on, with the safety net divided by `scale`. */
async function callbackWorkerEnv(safety: ScheduleShape, scale: number): Promise<Record<string, string>> {
  const port = await freePort();
  return {
    SEEDANCE_WORKER_ROLES: 'workflows,provider,copy,callbacks',
    SEEDANCE_CALLBACK_ADDRESS: `127.0.0.1:${port}`,
    SEEDANCE_CALLBACK_BASE_URL: `http://127.0.0.1:${port}/cb`,
    SEEDANCE_CALLBACK_SECRET: `bench-callback-secret-${randomUUID()}`,
    // The product's minimum is 1 s: the quick run's ÷30 keeps 300 s at 10 s.
    SEEDANCE_CALLBACK_POLL_INITIAL_MS: String(Math.max(1000, Math.round(safety.initialDelayMs / scale))),
    SEEDANCE_CALLBACK_POLL_MAX_INTERVAL_MS: String(Math.max(1000, Math.round(safety.maxIntervalMs / scale))),
    SEEDANCE_PROVIDER_RPS: '1000',
  };
}

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

const TERMINAL = new Set(['succeeded', 'failed', 'expired', 'cancelled']);

/** When the first terminal callback reached the workflow, from its history (undefined: none did). */
function terminalCallbackAt(history: History): number | undefined {
  for (const e of history.events ?? []) {
    const signaled = e.workflowExecutionSignaledEventAttributes;
    if (!signaled || signaled.signalName !== PROVIDER_CALLBACK_SIGNAL) continue;
    const data = signaled.input?.payloads?.[0]?.data;
    if (!data) continue;
    const callback = JSON.parse(Buffer.from(data).toString('utf8')) as ProviderCallback;
    if (TERMINAL.has(callback.status)) return tsMs(e.eventTime);
  }
  return undefined;
}

/**
 * Renders `rendersReal` (divided by `scale`) through a callbacks worker on `sim`; `schedule`
 * is the renders' own poll schedule, already scaled (its factor and deadline shape the safety
 * net, as in the product; the worker's safety settings replace its intervals).
 */
async function measureCallbacks(
  ctx: BenchContext,
  sim: RunningSimulator,
  label: string,
  name: string,
  lossRate: number,
  safety: ScheduleShape,
  schedule: PollSchedule,
  rendersReal: number[],
  scale: number,
  concurrency: number,
): Promise<CallbackMeasuredRow> {
  const flow = await startFlowWorker(ctx, sim, label, await callbackWorkerEnv(safety, scale));
  const id = `bench-${ctx.id}-${label}`;
  const done: Array<{ renderMs: number; result: RenderVideoResult; workflowId: string }> = [];
  let failed = 0;
  try {
    await promisePool(rendersReal, concurrency, async (real, i) => {
      const renderMs = Math.round(real / scale);
      const workflowId = `${id}/r${i}`;
      try {
        const result = await ctx.client.workflow.execute(renderVideo, {
          taskQueue: flow.taskQueue,
          workflowId,
          args: [
            {
              shot: { prompt: `${id} render ${i} [sim:render=${renderMs}]`, duration: 5 },
              schedule,
              storageKey: `${id}/r${i}.mp4`,
            },
          ],
        });
        done.push({ renderMs, result, workflowId });
      } catch (err) {
        failed++;
        log(`S2 ${name}: render ${i} failed: ${String(err)}`);
      }
    });
  } finally {
    await stopFlowWorker(flow);
  }
  const created = new Map(sim.stats().tasks.map((t) => [t.id, t.createdAt]));
  const polls: number[] = [];
  const latency: number[] = [];
  const roundTrips: number[] = [];
  let byCallback = 0;
  for (const d of done) {
    const history = await ctx.client.workflow.getHandle(d.workflowId).fetchHistory();
    const gets = activityEvents(history).filter((a) => a.name === 'getTask' && a.closedAt !== undefined);
    const last = gets[gets.length - 1];
    const createdAt = created.get(d.result.taskId);
    if (!last?.closedAt || createdAt === undefined) continue;
    const succeededAt = createdAt + d.renderMs;
    const heardAt = terminalCallbackAt(history);
    polls.push(d.result.polls);
    // Seen by its callback when the terminal callback reached the workflow before the last GET was scheduled.
    if (heardAt !== undefined && heardAt <= last.scheduledAt) {
      byCallback++;
      latency.push(last.closedAt - succeededAt);
      roundTrips.push(last.closedAt - succeededAt);
    } else {
      latency.push((last.closedAt - succeededAt) * scale);
    }
  }
  return {
    name,
    lossRate,
    shots: rendersReal.length,
    failed,
    ...figures(polls, latency),
    byCallback: done.length ? byCallback / done.length : NaN,
    roundTripSeconds: roundTrips.length ? median(roundTrips) / 1000 : NaN,
  };
}

/** Safety intervals of the trade-off table: the polling default's 30 s up to the product's 5 min. */
const SAFETY_INTERVALS_MS = [30_000, 60_000, 120_000, 180_000, 300_000];

export interface CallbacksScenarioInput {
  /** The render times of the model (realistic distribution). */
  renders: number[];
  /** The product's default poll schedule (its factor applies to the safety net). */
  current: ScheduleShape;
  /** `schedule`: the default schedule divided by `scale`, as the polling rows run it. */
  measured: { scale: number; renders: number[]; concurrency: number; schedule: PollSchedule } | null;
}

/** Scenario 2's callback rows: measured first (when asked), then the model with the measured round trip. */
export async function callbacksRows(
  ctx: BenchContext,
  sim: RunningSimulator | undefined,
  input: CallbacksScenarioInput,
): Promise<CallbacksResult> {
  const safety = defaultSafety(input.current.backoffFactor);
  let measured: CallbacksResult['measured'];
  if (input.measured && sim) {
    const { scale, renders, concurrency, schedule } = input.measured;
    // Loss is the simulator's configuration: half-lost callbacks need a simulator of their own.
    const lossy = await startSim({ callbacks: { lossRate: 0.5 }, randomSeed: 5 });
    try {
      log(`S2 measured with callbacks: ${renders.length} renders each, none lost and half lost, safety net ${nameOf(safety)} ÷ ${scale}`);
      const rows = await Promise.all([
        measureCallbacks(ctx, sim, 's2-cb', 'callbacks, none lost', 0, safety, schedule, renders, scale, concurrency),
        measureCallbacks(ctx, lossy, 's2-cb-half', 'callbacks, half lost', 0.5, safety, schedule, renders, scale, concurrency),
      ]);
      measured = { scale, rows };
    } finally {
      await lossy.close();
    }
  }
  const roundTrip = measured?.rows[0]?.roundTripSeconds;
  const roundTripMs = roundTrip !== undefined && Number.isFinite(roundTrip) ? roundTrip * 1000 : 0;
  const model: CallbackModelRow[] = [0, 0.5].map((lossRate) => ({
    name: lossRate === 0 ? 'callbacks, none lost' : 'callbacks, half lost',
    lossRate,
    ...modelCallbacks(safety, input.renders, lossRate, roundTripMs),
  }));
  const tradeoff = SAFETY_INTERVALS_MS.map((intervalMs) => {
    const shape: ScheduleShape = { initialDelayMs: intervalMs, backoffFactor: 1, maxIntervalMs: intervalMs };
    return {
      safetyName: nameOf(shape),
      intervalMs,
      none: modelCallbacks(shape, input.renders, 0, roundTripMs),
      half: modelCallbacks(shape, input.renders, 0.5, roundTripMs),
    };
  });
  log(
    `S2 callbacks: ${[...model, ...(measured?.rows ?? [])]
      .map((m) => `${m.name}: ${round(m.polls.mean, 2)} polls, p95 ${round(m.latency.p95, 1)} s`)
      .join('; ')}`,
  );
  return {
    safety,
    safetyName: nameOf(safety),
    modelRoundTripSeconds: roundTripMs / 1000,
    model,
    tradeoff,
    ...(measured ? { measured } : {}),
  };
}
