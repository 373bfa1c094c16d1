/**
 * Driving seedance-flow the way users do: stage a storyboard file with the CLI's code, start
 * renderStoryboard through the client helpers, and read the figures back from Temporal
 * (histories, visibility) and the kernel.
 */
import type { Client, WorkflowHandle } from '@temporalio/client';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createStorage } from '../../storage/from-config';
import { startStoryboard } from '../../client/storyboard';
import { checkStoryboardFile, stageStoryboard, type StagedStoryboard } from '../../client/storyboard-file';
import type { Config } from '../../common/config';
import type { PollScheduleInput } from '../../common/poll-schedule';
import type { RenderStoryboardInput, StoryboardResult } from '../../common/storyboard';
import type { BaselineCopyOptions, BaselineCopyResult, BaselineRunOptions, BaselineRunResult } from '../baseline';
import { ROOT, TMP_DIR, percentile } from './util';

export interface BenchShot {
  id: string;
  prompt: string;
}

/** Shots whose simulated render takes the given times (`[sim:render=MS]`), optionally of a given size. */
export function shotsFor(renderMs: readonly number[], label: string, extra = ''): BenchShot[] {
  return renderMs.map((ms, i) => ({ id: `s${String(i).padStart(5, '0')}`, prompt: `${label} shot ${i} [sim:render=${ms}]${extra}` }));
}

/** Writes the storyboard file and stages it exactly as `seedance-flow render` does. */
export async function stageShots(config: Config, storyboardId: string, shots: BenchShot[]): Promise<StagedStoryboard> {
  mkdirSync(TMP_DIR, { recursive: true });
  const file = path.join(TMP_DIR, `${storyboardId}.json`);
  writeFileSync(file, JSON.stringify({ id: storyboardId, defaults: { duration: 5 }, shots }));
  const checked = await checkStoryboardFile(file);
  if (checked.problems.length) throw new Error(`invalid bench storyboard: ${JSON.stringify(checked.problems.slice(0, 3))}`);
  return stageStoryboard(createStorage(config).storage, checked);
}

export interface StoryboardRun {
  result: StoryboardResult;
  /** Start to the workflow's completion, as the client sees it. */
  wallMs: number;
  /** Start to the moment the last run scheduled writeManifest: every shot finished. */
  toManifestMs: number;
  /** writeReport scheduled to completed (thumbnails of every video, report.html). */
  reportMs: number;
  runs: number;
}

export async function runStoryboard(
  client: Client,
  staged: StagedStoryboard,
  o: {
    taskQueue: string;
    window: number;
    schedule: PollScheduleInput;
    shotsPerRun?: number;
    searchAttributes?: boolean;
    admission?: RenderStoryboardInput['admission'];
  },
): Promise<StoryboardRun> {
  const t0 = Date.now();
  const handle = await startStoryboard(
    client,
    {
      ...staged,
      window: o.window,
      schedule: o.schedule,
      ...(o.shotsPerRun ? { shotsPerRun: o.shotsPerRun } : {}),
      ...(o.searchAttributes === false ? { searchAttributes: false } : {}),
      ...(o.admission ? { admission: o.admission } : {}),
    },
    o.taskQueue,
  );
  const result = await handle.result();
  const wallMs = Date.now() - t0;
  const phases = await lastRunPhases(handle);
  return {
    result,
    wallMs,
    toManifestMs: phases.manifestScheduledAt ? phases.manifestScheduledAt - t0 : NaN,
    reportMs: phases.reportMs,
    runs: await countRuns(client, staged.storyboardId),
  };
}

/** Milliseconds since the epoch of a protobuf Timestamp (seconds may be a Long). */
export function tsMs(ts: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  if (!ts) return NaN;
  const s = ts.seconds as { toNumber?: () => number } | number | string | undefined;
  const seconds = typeof s === 'object' && s && typeof s.toNumber === 'function' ? s.toNumber() : Number(s ?? 0);
  return seconds * 1000 + (ts.nanos ?? 0) / 1e6;
}

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];

/** Activity type names by scheduled event id, and the events themselves. */
export function activityEvents(
  history: History,
): Array<{ name: string; scheduledAt: number; startedAt?: number; closedAt?: number; ok?: boolean }> {
  const byId = new Map<string, { name: string; scheduledAt: number; startedAt?: number; closedAt?: number; ok?: boolean }>();
  const out: Array<{ name: string; scheduledAt: number; startedAt?: number; closedAt?: number; ok?: boolean }> = [];
  for (const e of (history.events ?? []) as HistoryEvent[]) {
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes) {
      const a = { name: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?', scheduledAt: tsMs(e.eventTime) };
      byId.set(id, a);
      out.push(a);
    }
    const started = e.activityTaskStartedEventAttributes;
    if (started) {
      const a = byId.get(String(started.scheduledEventId));
      if (a) a.startedAt = tsMs(e.eventTime);
    }
    const done = e.activityTaskCompletedEventAttributes ?? e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes;
    if (done) {
      const a = byId.get(String(done.scheduledEventId));
      if (a) {
        a.closedAt = tsMs(e.eventTime);
        a.ok = !!e.activityTaskCompletedEventAttributes;
      }
    }
  }
  return out;
}

async function lastRunPhases(handle: WorkflowHandle): Promise<{ manifestScheduledAt?: number; reportMs: number }> {
  const acts = activityEvents(await handle.fetchHistory());
  const manifest = acts.find((a) => a.name === 'writeManifest');
  const report = acts.find((a) => a.name === 'writeReport');
  return {
    ...(manifest ? { manifestScheduledAt: manifest.scheduledAt } : {}),
    reportMs: report?.closedAt !== undefined ? report.closedAt - report.scheduledAt : NaN,
  };
}

async function countRuns(client: Client, workflowId: string): Promise<number> {
  let n = 0;
  for await (const wf of client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) if (wf.workflowId === workflowId) n++;
  return n;
}

export interface HistoryFigures {
  workflows: number;
  /** Largest history of any workflow of the storyboard (its runs and its shots). */
  maxEvents: number;
  maxBytes: number;
  maxEventsWorkflow: string;
  maxBytesWorkflow: string;
  /** Largest history among the storyboard's own runs and among its shots. */
  storyboardMaxEvents: number;
  storyboardMaxBytes: number;
  shotMaxEvents: number;
  shotMaxBytes: number;
}

/** Every workflow of a storyboard (its runs and its shots) from visibility, with history sizes. */
export async function historyFigures(client: Client, storyboardId: string): Promise<HistoryFigures> {
  const f: HistoryFigures = {
    workflows: 0,
    maxEvents: 0,
    maxBytes: 0,
    maxEventsWorkflow: '',
    maxBytesWorkflow: '',
    storyboardMaxEvents: 0,
    storyboardMaxBytes: 0,
    shotMaxEvents: 0,
    shotMaxBytes: 0,
  };
  for await (const wf of client.workflow.list({ query: `StoryboardId = "${storyboardId}"` })) {
    f.workflows++;
    const events = wf.historyLength;
    const bytes = wf.historySize ?? 0;
    const isBoard = wf.workflowId === storyboardId;
    if (events > f.maxEvents) {
      f.maxEvents = events;
      f.maxEventsWorkflow = wf.workflowId;
    }
    if (bytes > f.maxBytes) {
      f.maxBytes = bytes;
      f.maxBytesWorkflow = wf.workflowId;
    }
    if (isBoard) {
      f.storyboardMaxEvents = Math.max(f.storyboardMaxEvents, events);
      f.storyboardMaxBytes = Math.max(f.storyboardMaxBytes, bytes);
    } else {
      f.shotMaxEvents = Math.max(f.shotMaxEvents, events);
      f.shotMaxBytes = Math.max(f.shotMaxBytes, bytes);
    }
  }
  return f;
}

/** Runs bench/baseline.ts in a child process (its own event loop and memory, like the worker's). */
export async function runBaselineChild(mode: 'run', options: BaselineRunOptions): Promise<BaselineRunResult>;
export async function runBaselineChild(mode: 'copy' | 'activity', options: BaselineCopyOptions): Promise<BaselineCopyResult>;
export async function runBaselineChild(
  mode: 'run' | 'copy' | 'activity',
  options: BaselineRunOptions | BaselineCopyOptions,
): Promise<unknown> {
  mkdirSync(TMP_DIR, { recursive: true });
  const file = path.join(TMP_DIR, `baseline-${process.pid}-${Date.now()}.json`);
  writeFileSync(file, JSON.stringify(options));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'tsx/cjs', path.join(ROOT, 'bench/baseline.ts'), mode, file], {
      cwd: ROOT,
      env: { ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`baseline ${mode} exited ${code}: ${err.slice(-2000)}`));
      else resolve(JSON.parse(last));
    });
  });
}

export interface ParentDiagnostics {
  runs: number;
  /** Events in all the storyboard's runs, per shot, and the signals among them. */
  eventsPerShot: number;
  signalsPerShot: number;
  /** StartChildWorkflowExecutionInitiated to ChildWorkflowExecutionStarted in the parent's history. */
  childStartLatencyMs: { p50: number; p95: number; max: number };
  /** StartChildWorkflowExecutionInitiated to the child's completion: a shot's whole time, as the parent sees it. */
  shotLatencyMs: { p50: number; p95: number };
  /** The parent's workflow tasks: scheduled to started (queueing) and started to completed. */
  workflowTasks: number;
  wftScheduleToStartMs: { p50: number; p95: number };
  wftStartToCompleteMs: { p50: number; p95: number };
  wftTimeouts: number;
}

/** Where the storyboard's own workflow spends time, from the histories of all its runs. */
export async function parentDiagnostics(client: Client, storyboardId: string, shots: number): Promise<ParentDiagnostics> {
  const runIds: string[] = [];
  for await (const wf of client.workflow.list({ query: `WorkflowId = "${storyboardId}"` })) runIds.push(wf.runId);
  const startLatency: number[] = [];
  const shotLatency: number[] = [];
  const toStart: number[] = [];
  const toComplete: number[] = [];
  let events = 0;
  let signals = 0;
  let timeouts = 0;
  for (const runId of runIds) {
    const history = await client.workflow.getHandle(storyboardId, runId).fetchHistory();
    const initiated = new Map<string, number>();
    let scheduled = NaN;
    let started = NaN;
    for (const e of (history.events ?? []) as HistoryEvent[]) {
      events++;
      const t = tsMs(e.eventTime);
      if (e.workflowExecutionSignaledEventAttributes) signals++;
      if (e.startChildWorkflowExecutionInitiatedEventAttributes) initiated.set(String(e.eventId), t);
      const cs = e.childWorkflowExecutionStartedEventAttributes;
      if (cs) {
        const at = initiated.get(String(cs.initiatedEventId));
        if (at !== undefined) startLatency.push(t - at);
      }
      const cc = e.childWorkflowExecutionCompletedEventAttributes ?? e.childWorkflowExecutionFailedEventAttributes;
      if (cc) {
        const at = initiated.get(String(cc.initiatedEventId));
        if (at !== undefined) shotLatency.push(t - at);
      }
      if (e.workflowTaskScheduledEventAttributes) scheduled = t;
      if (e.workflowTaskStartedEventAttributes) {
        started = t;
        toStart.push(t - scheduled);
      }
      if (e.workflowTaskCompletedEventAttributes) toComplete.push(t - started);
      if (e.workflowTaskTimedOutEventAttributes) timeouts++;
    }
  }
  return {
    runs: runIds.length,
    eventsPerShot: events / shots,
    signalsPerShot: signals / shots,
    childStartLatencyMs: { p50: percentile(startLatency, 50), p95: percentile(startLatency, 95), max: Math.max(...startLatency) },
    shotLatencyMs: { p50: percentile(shotLatency, 50), p95: percentile(shotLatency, 95) },
    workflowTasks: toComplete.length,
    wftScheduleToStartMs: { p50: percentile(toStart, 50), p95: percentile(toStart, 95) },
    wftStartToCompleteMs: { p50: percentile(toComplete, 50), p95: percentile(toComplete, 95) },
    wftTimeouts: timeouts,
  };
}
