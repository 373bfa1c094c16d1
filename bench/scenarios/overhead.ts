/**
 * Scenario 1, orchestration overhead: the same shots (renders of a few seconds) through the
 * baseline, a storyboard, and plain renderVideo workflows; wall time of seedance-flow over
 * the baseline's. Then throughput (shots per second) as the window grows.
 */
import type { RunningSimulator } from '../../simulator';
import { LONGER_SCHEDULE, SECONDS_SCHEDULE, SWEEP_SCHEDULE, withDeadline, type BenchContext, type FastSchedule } from '../lib/context';
import { runSystem, startFlowWorker, stopFlowWorker, type RunFigures, type SystemName } from '../lib/systems';
import { describeDistribution, log, median, round, sampleRenderTimes, type Distribution } from '../lib/util';

export interface OverheadConfig {
  shots: number;
  window: number;
  repeats: number;
  /** Runs of the diagnostic systems, renderVideo only and the minimal fan-out parent (at most `repeats`). */
  directRepeats: number;
  /** Which diagnostic systems run (`--diagnose` adds the variants that tell signals from search attributes). */
  diagnostics: SystemName[];
  render: Distribution;
  /** Renders take seconds here, not minutes: a schedule of seconds, the same on both sides. */
  schedule: FastSchedule;
  /** Throughput by window: short renders and a faster schedule, so the orchestration is the limit. */
  sweep: { windows: number[]; shots: number; render: Distribution; schedule: FastSchedule; systems: SystemName[] };
  /**
   * The same comparison with renders closer to real ones (time-scaled), where the window, not
   * the orchestration, sets the pace: what the per-shot overhead costs once it is amortized.
   */
  longer?: { shots: number; window: number; render: Distribution; schedule: FastSchedule };
}

export const OVERHEAD_FULL: OverheadConfig = {
  shots: 1000,
  window: 100,
  repeats: 2,
  directRepeats: 1,
  // The diagnostic systems cost three minutes at this size: `--diagnose` runs them.
  diagnostics: [],
  render: { kind: 'uniform', minMs: 2000, maxMs: 4000 },
  schedule: SECONDS_SCHEDULE,
  sweep: {
    windows: [25, 100, 500],
    shots: 300,
    render: { kind: 'fixed', ms: 1000 },
    schedule: SWEEP_SCHEDULE,
    systems: ['baseline', 'storyboard'],
  },
  longer: { shots: 100, window: 100, render: { kind: 'uniform', minMs: 15_000, maxMs: 30_000 }, schedule: LONGER_SCHEDULE },
};

export const OVERHEAD_QUICK: OverheadConfig = {
  shots: 100,
  window: 50,
  repeats: 1,
  directRepeats: 1,
  diagnostics: ['direct'],
  render: { kind: 'uniform', minMs: 2000, maxMs: 4000 },
  schedule: SECONDS_SCHEDULE,
  sweep: {
    windows: [10, 50],
    shots: 40,
    render: { kind: 'fixed', ms: 1000 },
    schedule: SWEEP_SCHEDULE,
    systems: ['baseline', 'storyboard'],
  },
};

export interface OverheadResult {
  config: OverheadConfig & { renderDescription: string; providerRps: string };
  runs: RunFigures[];
  summary: {
    medianWallMs: Record<string, number>;
    /** storyboard / baseline and direct / baseline wall time. */
    ratioStoryboard: number;
    ratioDirect: number;
    ratioFanout: number;
    /** Provider calls (submit + polls) per shot, and the throughput the default 10 calls/s allow. */
    providerCallsPerShot: number;
    defaultRpsCapShotsPerSecond: number;
    reportMsMedian: number;
  };
  sweep: RunFigures[];
  best: Record<string, { window: number; shotsPerSecond: number }>;
  /** Baseline then storyboard with cfg.longer's renders; empty when not configured. */
  longer: RunFigures[];
}

/** Systems in a different order each repeat, so a slow spell on the shared machine hits each alike. */
const ORDERS: SystemName[][] = [
  ['baseline', 'storyboard', 'direct', 'fanout', 'fanoutSignals', 'storyboardNoSearchAttributes'],
  ['storyboard', 'fanout', 'baseline', 'direct', 'storyboardNoSearchAttributes', 'fanoutSignals'],
  ['direct', 'baseline', 'fanoutSignals', 'fanout', 'storyboard', 'storyboardNoSearchAttributes'],
];
const DIAGNOSTIC: SystemName[] = ['direct', 'fanout', 'fanoutSignals', 'storyboardNoSearchAttributes'];

export async function overheadScenario(ctx: BenchContext, sim: RunningSimulator, cfg: OverheadConfig): Promise<OverheadResult> {
  // The baseline has no provider rate limit; the worker's (SEEDANCE_PROVIDER_RPS, default 10
  // calls/s across all workers) is lifted so that both sides face the same provider.
  const providerRps = '1000';
  const flow = await startFlowWorker(ctx, sim, 's1', { SEEDANCE_PROVIDER_RPS: providerRps });
  const schedule = withDeadline(cfg.schedule);
  const renderMs = sampleRenderTimes(cfg.render, cfg.shots, 1);
  const runs: RunFigures[] = [];
  for (let r = 0; r < cfg.repeats; r++) {
    for (const system of ORDERS[r % ORDERS.length] as SystemName[]) {
      if (DIAGNOSTIC.includes(system) && (r >= cfg.directRepeats || !cfg.diagnostics.includes(system))) continue;
      log(`S1 overhead: ${system}, ${cfg.shots} shots, window ${cfg.window}, repeat ${r + 1}/${cfg.repeats}`);
      const f = await runSystem(ctx, system, flow, { label: `s1-r${r}`, renderMs, window: cfg.window, schedule });
      log(`  ${system}: ${round(f.wallMs / 1000, 1)} s, ${f.stored}/${f.shots} stored, ${round(f.shotsPerSecond, 2)} shots/s`);
      runs.push(f);
    }
  }
  const wall = (s: SystemName) => median(runs.filter((x) => x.system === s).map((x) => x.wallMs));
  const medianWallMs: Record<string, number> = {};
  for (const system of new Set(runs.map((x) => x.system))) medianWallMs[system] = wall(system);
  const basePolls = runs.filter((x) => x.system === 'baseline').map((x) => (x.polls ?? 0) / x.shots);
  const providerCallsPerShot = 1 + median(basePolls);

  const sweepRender = (n: number) => sampleRenderTimes(cfg.sweep.render, n, 2);
  const sweepSchedule = withDeadline(cfg.sweep.schedule);
  const sweep: RunFigures[] = [];
  for (const window of cfg.sweep.windows) {
    for (const system of cfg.sweep.systems) {
      log(`S1 throughput: ${system}, ${cfg.sweep.shots} shots, window ${window}`);
      const f = await runSystem(
        ctx,
        system,
        flow,
        { label: `s1-w${window}`, renderMs: sweepRender(cfg.sweep.shots), window, schedule: sweepSchedule },
        { histories: false },
      );
      log(`  ${system}: ${round(f.shotsPerSecond, 2)} shots/s (${round(f.wallMs / 1000, 1)} s)`);
      sweep.push(f);
    }
  }
  const best: OverheadResult['best'] = {};
  for (const system of cfg.sweep.systems) {
    const mine = sweep.filter((x) => x.system === system && x.stored === x.shots);
    const top = mine.reduce<RunFigures | undefined>((a, b) => (!a || b.shotsPerSecond > a.shotsPerSecond ? b : a), undefined);
    if (top) best[system] = { window: top.window, shotsPerSecond: top.shotsPerSecond };
  }
  const longer: RunFigures[] = [];
  if (cfg.longer) {
    const l = cfg.longer;
    const longerRender = sampleRenderTimes(l.render, l.shots, 3);
    for (const system of ['baseline', 'storyboard'] as const) {
      log(`S1 longer renders: ${system}, ${l.shots} shots, window ${l.window}, renders ${describeDistribution(l.render)}`);
      const f = await runSystem(
        ctx,
        system,
        flow,
        { label: 's1-long', renderMs: longerRender, window: l.window, schedule: withDeadline(l.schedule) },
        { histories: false },
      );
      log(`  ${system}: ${round(f.wallMs / 1000, 1)} s, ${f.stored}/${f.shots} stored`);
      longer.push(f);
    }
  }
  await stopFlowWorker(flow);
  return {
    config: { ...cfg, renderDescription: describeDistribution(cfg.render), providerRps },
    runs,
    summary: {
      medianWallMs,
      ratioStoryboard: (medianWallMs.storyboard ?? NaN) / (medianWallMs.baseline ?? NaN),
      ratioDirect: (medianWallMs.direct ?? NaN) / (medianWallMs.baseline ?? NaN),
      ratioFanout: (medianWallMs.fanout ?? NaN) / (medianWallMs.baseline ?? NaN),
      providerCallsPerShot,
      defaultRpsCapShotsPerSecond: 10 / providerCallsPerShot,
      reportMsMedian: median(runs.filter((x) => x.system === 'storyboard').map((x) => x.reportMs ?? NaN)),
    },
    sweep,
    best,
    longer,
  };
}
