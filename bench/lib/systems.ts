/**
 * The three ways a benchmark workload is run, each measured the same way:
 *   baseline:   bench/baseline.ts in a child process (plain promise pool, no Temporal);
 *   storyboard: the renderStoryboard workflow on a seedance-flow worker (a child process);
 *   direct:     renderVideo workflows started by a client-side promise pool, no storyboard
 *               parent (a diagnostic: per-shot workflow cost without the parent's);
 *   fanout:     renderVideo children of bench/workflows/fanout.ts, a minimal parent without the
 *               storyboard's phase signals and bookkeeping (a diagnostic: what the parent costs);
 *   fanoutSignals, storyboardNoSearchAttributes: the same with the children's phase signals on,
 *               and the storyboard with `searchAttributes: false` (`--diagnose`: which part costs).
 */
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import type { PollScheduleInput } from '../../common/poll-schedule';
import type { RenderVideoResult } from '../../common/render';
import type { RunningSimulator } from '../../simulator';
import { connectWorker } from '../../temporal/connection';
import { renderVideo } from '../../workflows';
import type { Infra } from './infra';
import type { BenchContext } from './context';
import { configFrom, flowEnv } from './context';
import {
  historyFigures,
  parentDiagnostics,
  runBaselineChild,
  runStoryboard,
  shotsFor,
  stageShots,
  type HistoryFigures,
  type ParentDiagnostics,
} from './flow';
import { CpuMeter, memoryOf, resetPeak, type Metered } from '../../test/helpers/procfs';
import { log, percentile, promisePool } from './util';
import { startWorkerProcess, type WorkerProcess } from './worker-process';

export type SystemName = 'baseline' | 'storyboard' | 'direct' | 'fanout' | 'fanoutSignals' | 'storyboardNoSearchAttributes';

export interface Workload {
  /** Unique per run: storyboard id, storage folder and workflow ids derive from it. */
  label: string;
  renderMs: number[];
  window: number;
  schedule: PollScheduleInput;
}

export interface RunFigures {
  system: SystemName;
  shots: number;
  window: number;
  /** Shots stored (the rest failed). */
  stored: number;
  /** First submit to the last video stored (storyboard: to writeManifest, i.e. every shot finished). */
  wallMs: number;
  /** storyboard only: to the workflow's completion, report included, and the report alone. */
  completeMs?: number;
  reportMs?: number;
  runs?: number;
  shotsPerSecond: number;
  /** One shot's time from launch to stored: p50 and p95. */
  shotLatencyMs?: { p50: number; p95: number };
  /** CPU cores used over the run, per process. */
  cores: Record<string, number>;
  /** Peak RSS of the process doing the work (worker or baseline), bytes. */
  peakRssBytes: number;
  history?: HistoryFigures;
  /** storyboard only: where its own workflow spends time. */
  parent?: ParentDiagnostics;
  polls?: number;
}

/** A seedance-flow worker for one scenario, with its own task queue. */
export interface FlowWorker {
  taskQueue: string;
  env: Record<string, string | undefined>;
  worker: WorkerProcess;
  /** The diagnostic fan-out parent's worker (in this process), started when first needed. */
  fanout?: { taskQueue: string; stop(): Promise<void> };
}

export async function startFlowWorker(
  ctx: BenchContext,
  sim: RunningSimulator,
  name: string,
  extra: Record<string, string> = {},
): Promise<FlowWorker> {
  const taskQueue = `bench-${ctx.id}-${name}`;
  const env = flowEnv(ctx, { sim, taskQueue, prefix: `${ctx.prefix}/${name}`, extra });
  const worker = await startWorkerProcess(env);
  const flow: FlowWorker = { taskQueue, env, worker };
  ctx.cleanups.push(async () => {
    await flow.fanout?.stop();
    await worker.stop();
  });
  log(`worker ${worker.pid} on task queue ${taskQueue}`);
  return flow;
}

/** Stops a scenario's workers (the seedance-flow child process and the fan-out worker, if any). */
export async function stopFlowWorker(flow: FlowWorker): Promise<void> {
  await flow.fanout?.stop();
  delete flow.fanout;
  await flow.worker.stop();
}

let runtimeInstalled = false;

/** A worker in this process for the diagnostic parent of bench/workflows/fanout.ts. */
async function startFanoutWorker(ctx: BenchContext, taskQueue: string): Promise<{ taskQueue: string; stop(): Promise<void> }> {
  if (!runtimeInstalled) {
    // Warnings only, on stderr: stdout carries the benchmark's tables.
    Runtime.install({
      logger: new DefaultLogger('ERROR', (entry) => process.stderr.write(`[fanout worker] ${entry.level} ${entry.message}\n`)),
    });
    runtimeInstalled = true;
  }
  const { connection, namespace, dataConverter } = await connectWorker(ctx.config, ctx.baseEnv);
  const worker = await Worker.create({
    connection,
    namespace,
    taskQueue,
    workflowsPath: require.resolve('../workflows/fanout'),
    ...(dataConverter ? { dataConverter } : {}), // as the bench's client, when SEEDANCE_CODEC_KEYS is set
  });
  const running = worker.run();
  let stopped: Promise<void> | undefined;
  return {
    taskQueue,
    stop: () =>
      (stopped ??= (async () => {
        worker.shutdown();
        await running;
        await connection.close();
      })()),
  };
}

/** The servers' CPU (Temporal, MinIO, PostgreSQL with its backends on the production topology) and `more`. */
function serverMeter(infra: Infra, more: Record<string, Metered>): CpuMeter {
  return new CpuMeter({
    temporal: infra.temporalPid,
    minio: infra.minioPid,
    ...(infra.postgresPid ? { postgres: { tree: infra.postgresPid } } : {}),
    ...more,
  });
}

export async function runSystem(
  ctx: BenchContext,
  system: SystemName,
  flow: FlowWorker,
  w: Workload,
  o: { histories?: boolean } = {},
): Promise<RunFigures> {
  const id = `bench-${ctx.id}-${w.label}-${system}`;
  const shots = shotsFor(w.renderMs, id);
  const infra = ctx.infra;
  if (system === 'baseline') {
    const cpu = serverMeter(infra, { bench: process.pid });
    const r = await runBaselineChild('run', {
      env: flow.env,
      storyboardId: id,
      shots: shots.map((s) => ({ id: s.id, shot: { prompt: s.prompt, duration: 5 } })),
      window: w.window,
      schedule: w.schedule,
    });
    const c = cpu.read();
    if (r.failed) log(`baseline: ${r.failed} shots failed, e.g. ${r.firstError ?? '?'}`);
    return {
      system,
      shots: shots.length,
      window: w.window,
      stored: r.stored,
      wallMs: r.wallMs,
      shotsPerSecond: shots.length / (r.wallMs / 1000),
      shotLatencyMs: { p50: percentile(r.shotMs, 50), p95: percentile(r.shotMs, 95) },
      cores: { ...c.cores, worker: r.cpuSeconds / c.wallSeconds },
      peakRssBytes: r.maxRssBytes,
      polls: r.polls,
    };
  }

  const pid = flow.worker.pid;
  resetPeak(pid);
  if (system === 'storyboard' || system === 'storyboardNoSearchAttributes') {
    const searchAttributes = system === 'storyboard';
    const staged = await stageShots(configFrom(flow.env), id, shots);
    const cpu = serverMeter(infra, { worker: pid, bench: process.pid });
    const r = await runStoryboard(ctx.client, staged, {
      taskQueue: flow.taskQueue,
      window: w.window,
      schedule: w.schedule,
      searchAttributes,
    });
    const c = cpu.read();
    // Without search attributes, visibility cannot list the shots by storyboard.
    const history = o.histories === false || !searchAttributes ? undefined : await historyFigures(ctx.client, id);
    const parent = await parentDiagnostics(ctx.client, id, shots.length);
    return {
      system,
      shots: shots.length,
      window: w.window,
      stored: r.result.counts.stored,
      wallMs: r.toManifestMs,
      completeMs: r.wallMs,
      reportMs: r.reportMs,
      runs: r.runs,
      shotsPerSecond: shots.length / (r.toManifestMs / 1000),
      shotLatencyMs: parent.shotLatencyMs,
      cores: c.cores,
      peakRssBytes: memoryOf(pid).peak,
      ...(history ? { history } : {}),
      parent,
    };
  }

  if (system === 'fanout' || system === 'fanoutSignals') {
    flow.fanout ??= await startFanoutWorker(ctx, `${flow.taskQueue}-fanout`);
    const cpu = serverMeter(infra, { worker: pid, bench: process.pid });
    const t0 = Date.now();
    const r = await ctx.client.workflow.execute('benchFanout', {
      taskQueue: flow.fanout.taskQueue,
      workflowId: id,
      args: [{ shots, window: w.window, schedule: w.schedule, taskQueue: flow.taskQueue, notifyParent: system === 'fanoutSignals' }],
    });
    const wallMs = Date.now() - t0;
    const c = cpu.read();
    const parent = await parentDiagnostics(ctx.client, id, shots.length);
    return {
      system,
      shots: shots.length,
      window: w.window,
      stored: (r as { stored: number }).stored,
      wallMs,
      shotsPerSecond: shots.length / (wallMs / 1000),
      shotLatencyMs: parent.shotLatencyMs,
      cores: c.cores,
      peakRssBytes: memoryOf(pid).peak,
      parent,
    };
  }

  const cpu = serverMeter(infra, { worker: pid, bench: process.pid });
  const t0 = Date.now();
  let stored = 0;
  let polls = 0;
  const shotMs: number[] = [];
  await promisePool(shots, w.window, async (s) => {
    const began = Date.now();
    try {
      const r: RenderVideoResult = await ctx.client.workflow.execute(renderVideo, {
        taskQueue: flow.taskQueue,
        workflowId: `${id}/${s.id}`,
        args: [{ shot: { prompt: s.prompt, duration: 5 }, schedule: w.schedule, storageKey: `${id}/${s.id}.mp4` }],
      });
      stored++;
      polls += r.polls;
      shotMs.push(Date.now() - began);
    } catch (err) {
      if (stored === 0) log(`direct: ${String(err)}`);
    }
  });
  const wallMs = Date.now() - t0;
  const c = cpu.read();
  return {
    system,
    shots: shots.length,
    window: w.window,
    stored,
    wallMs,
    shotsPerSecond: shots.length / (wallMs / 1000),
    shotLatencyMs: { p50: percentile(shotMs, 50), p95: percentile(shotMs, 95) },
    cores: c.cores,
    peakRssBytes: memoryOf(pid).peak,
    polls,
  };
}
