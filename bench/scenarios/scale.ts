/**
 * Scenario 4, scale: storyboards of 1,000 and 10,000 shots. Wall time, the largest history of
 * any workflow involved (the storyboard's runs and its shots, from visibility), the worker's
 * peak RSS (VmHWM of its process) and the Temporal server's CPU share over the run.
 */
import os from 'node:os';
import type { RunningSimulator } from '../../simulator';
import type { Topology } from '../lib/infra';
import { SECONDS_SCHEDULE, SWEEP_SCHEDULE, withDeadline, type BenchContext, type FastSchedule } from '../lib/context';
import { runSystem, startFlowWorker, stopFlowWorker, type RunFigures } from '../lib/systems';
import { describeDistribution, log, median, round, sampleRenderTimes, type Distribution } from '../lib/util';

/** V8 heap limit (MiB, each of the worker's two isolates) of the scale scenario's worker; BENCH_SCALE_HEAP_MB sets another. */
export const SCALE_WORKER_HEAP_MB = Number(process.env.BENCH_SCALE_HEAP_MB ?? 320);

export interface ScaleConfig {
  shots: number[];
  window: number;
  render: Distribution;
  schedule: FastSchedule;
}
// Renders of 1 s and a window of 200: the orchestration, not the renders, sets the pace, so
// that the 10,000-shot storyboard fits the full run's 30 minutes on a 2-core machine.
export const SCALE_FULL: ScaleConfig = {
  shots: [1000, 10_000],
  window: 200,
  render: { kind: 'fixed', ms: 1000 },
  schedule: SWEEP_SCHEDULE,
};
export const SCALE_QUICK: ScaleConfig = {
  shots: [50, 100],
  window: 50,
  render: { kind: 'uniform', minMs: 2000, maxMs: 4000 },
  schedule: SECONDS_SCHEDULE,
};

export interface ScaleRow extends RunFigures {
  /** Taken from scenario 1's identical run rather than run again. */
  reused: boolean;
  /** Temporal server CPU over the run, as a share of the whole machine (all cores). */
  temporalShare: number;
  /** Where Temporal ran: the dev server (SQLite) or the production topology (PostgreSQL). */
  topology: Topology;
  /** The worker's V8 heap limit (MiB per isolate); absent in results from before it was set. */
  heapMb?: number;
  cpus: number;
}

export interface ScaleResult {
  config: ScaleConfig & { renderDescription: string };
  rows: ScaleRow[];
}

/** The same scale runs on several topologies: their rows side by side in one table. */
export function mergeScale(into: ScaleResult | undefined, more: ScaleResult): ScaleResult {
  return into ? { config: into.config, rows: [...into.rows, ...more.rows] } : more;
}

/**
 * `reuse`: storyboard runs of scenario 1 with this very workload (same window, renders and
 * schedule); a size they cover is not run again (its median-time run is taken).
 */
export async function scaleScenario(
  ctx: BenchContext,
  sim: RunningSimulator,
  cfg: ScaleConfig,
  reuse: RunFigures[] = [],
): Promise<ScaleResult> {
  const schedule = withDeadline(cfg.schedule);
  const cpus = os.cpus().length;
  const rows: ScaleRow[] = [];
  let flow: Awaited<ReturnType<typeof startFlowWorker>> | undefined;
  for (const n of cfg.shots) {
    const earlier = reuse.filter((r) => r.system === 'storyboard' && r.shots === n && r.window === cfg.window && r.history);
    let f: RunFigures;
    if (earlier.length) {
      const mid = median(earlier.map((r) => r.wallMs));
      f = earlier.reduce((a, b) => (Math.abs(b.wallMs - mid) < Math.abs(a.wallMs - mid) ? b : a));
      log(`S4 scale: ${n} shots, window ${cfg.window}: the same workload ran in scenario 1; using that run`);
    } else {
      flow ??= await startFlowWorker(ctx, sim, `s4-${ctx.infra.topology}`, {
        SEEDANCE_PROVIDER_RPS: '1000',
        // A small container's worker (README "Sizing a worker"): without a cap V8 sizes its heaps
        // from this 24 GiB machine and lets garbage pile up (10,000 shots peaked at 670 MiB).
        NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=${SCALE_WORKER_HEAP_MB}`.trim(),
      });
      log(`S4 scale: storyboard of ${n} shots, window ${cfg.window}, ${ctx.infra.topology} topology`);
      f = await runSystem(ctx, 'storyboard', flow, {
        // Its own ids and storage per topology: a second run of one label would find the shots stored.
        label: `s4-${ctx.infra.topology}-n${n}`,
        renderMs: sampleRenderTimes(cfg.render, n, 4),
        window: cfg.window,
        schedule,
      });
    }
    const row: ScaleRow = {
      ...f,
      temporalShare: (f.cores.temporal ?? NaN) / cpus,
      cpus,
      reused: earlier.length > 0,
      topology: ctx.infra.topology,
      heapMb: SCALE_WORKER_HEAP_MB,
    };
    rows.push(row);
    log(
      `  ${n} shots: ${round(f.wallMs / 1000, 1)} s to all stored (${round(f.shotsPerSecond, 2)} shots/s), ` +
        `largest history ${f.history?.maxEvents ?? '?'} events / ${round((f.history?.maxBytes ?? NaN) / 1024)} KiB, ` +
        `worker peak ${round(f.peakRssBytes / 2 ** 20)} MiB, Temporal ${round((f.cores.temporal ?? NaN) * 100)}% of a core`,
    );
  }
  if (flow) await stopFlowWorker(flow);
  return { config: { ...cfg, renderDescription: describeDistribution(cfg.render) }, rows };
}
