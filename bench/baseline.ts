/**
 * The baseline: what users write without Temporal. A plain Node promise pool over the shots,
 * with seedance-flow's own provider clients (TasksClient / PredictionsClient over
 * createProviderHttp), the same poll schedule (common/poll-schedule.ts) and the same storage
 * code (S3Storage.upload fed through the HashCounter of activities/storage/copy.ts).
 *
 * The copy is a thin equivalent of the copyToStorage activity (which needs an activity
 * Context): download stream -> HashCounter (sha256, byte count, size limit) -> S3Storage.upload,
 * then the same `<key>.json` record. It leaves out what only durability needs: the check for
 * an object a previous run stored (two requests per shot), heartbeats and cancellation.
 *
 * Run in a child process by the benchmark: `tsx bench/baseline.ts <run|copy|activity> <options.json>`;
 * prints one JSON line with the result. `activity` is a diagnostic, not the baseline: the
 * product's own copyToStorage activity, run without a worker under MockActivityEnvironment.
 */
import axios from 'axios';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createProviderHttp } from '../activities/seedance/http';
import { PredictionsClient } from '../activities/seedance/predictions-client';
import { ProviderError } from '../activities/seedance/provider-error';
import { TasksClient } from '../activities/seedance/tasks-client';
import type { SeedanceFamilyClient, TaskSnapshot } from '../activities/seedance/types';
import type { StorageBackend } from '../storage/backend';
import { HashCounter, createCopyActivity, recordKey, sha256Hex, type VideoRecord } from '../activities/storage/copy';
import { createStorage } from '../storage/from-config';
import { loadConfig, requireApiKey, type Config } from '../common/config';
import { PollScheduleSchema, nextPollDelayMs, type PollSchedule, type PollScheduleInput } from '../common/poll-schedule';
import type { StoredObject } from '../common/render';
import { shotFromInput, type ApiFamily, type ShotInput } from '../common/shot';
import { storyboardKeys } from '../common/storyboard';
import { submitRetryDelayMs } from '../common/submit-retry';

export interface BaselineShot {
  id: string;
  shot: ShotInput;
}

export interface BaselineRunOptions {
  env: Record<string, string | undefined>;
  storyboardId: string;
  shots: BaselineShot[];
  window: number;
  schedule: PollScheduleInput;
}

export interface BaselineShotOutcome {
  shotId: string;
  status: 'stored' | 'failed';
  taskId?: string;
  polls: number;
  /** Submit to stored (or failed). */
  ms: number;
  bytes?: number;
  sha256?: string;
  error?: string;
}

export interface BaselineRunResult {
  wallMs: number;
  stored: number;
  failed: number;
  polls: number;
  /** Each shot's time, submit to stored, in milliseconds. */
  shotMs: number[];
  cpuSeconds: number;
  maxRssBytes: number;
  firstError?: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function clients(config: Config): Record<ApiFamily, SeedanceFamilyClient> {
  const http = createProviderHttp({
    baseUrl: config.SEEDANCE_API_BASE_URL,
    apiKey: requireApiKey(config),
    authScheme: config.SEEDANCE_AUTH_SCHEME,
    timeoutMs: config.SEEDANCE_REQUEST_TIMEOUT_MS,
  });
  return { tasks: new TasksClient(http), predictions: new PredictionsClient(http) };
}

/** Retryable = the provider cannot have accepted it (429, 5xx, refused), as the workflow judges. */
function retryable(err: unknown): err is ProviderError {
  return err instanceof ProviderError && !err.toApplicationFailure().nonRetryable;
}

/** Submit (retrying what was not accepted), poll on the schedule, copy. One shot, no durability. */
async function renderOne(
  api: Record<ApiFamily, SeedanceFamilyClient>,
  storage: StorageBackend,
  maxBytes: number,
  schedule: PollSchedule,
  storyboardId: string,
  item: BaselineShot,
): Promise<BaselineShotOutcome> {
  const shot = shotFromInput(item.shot);
  const client = api[shot.api];
  let polls = 0;
  const t0 = Date.now();
  try {
    let taskId: string | undefined;
    for (let attempt = 1; !taskId; attempt++) {
      try {
        taskId = (await client.submit(shot, [])).taskId;
      } catch (err) {
        if (!retryable(err) || attempt >= 10) throw err;
        await sleep(submitRetryDelayMs(attempt, err.details.retryAfterMs));
      }
    }
    const acceptedAt = Date.now();
    let snapshot: TaskSnapshot | undefined;
    for (let i = 0; ; i++) {
      const delay = nextPollDelayMs(schedule, i, Date.now() - acceptedAt);
      if (delay === null) throw new Error(`task ${taskId} not finished before the poll deadline`);
      await sleep(delay);
      polls++;
      try {
        snapshot = await client.get(taskId);
      } catch (err) {
        if (retryable(err)) continue;
        throw err;
      }
      if (snapshot.status !== 'queued' && snapshot.status !== 'running' && snapshot.status !== 'unknown') break;
    }
    if (snapshot.status !== 'succeeded' || !snapshot.videoUrl) throw new Error(`task ${taskId} ended ${snapshot.status}`);
    const key = storyboardKeys.video(storyboardId, item.id);
    const copied = await copyVideo(storage, maxBytes, snapshot.videoUrl, key, {
      taskId,
      model: shot.model,
      prompt: shot.prompt,
      ...(snapshot.seed !== undefined ? { seed: snapshot.seed } : {}),
    });
    return { shotId: item.id, status: 'stored', taskId, polls, ms: Date.now() - t0, ...copied };
  } catch (err) {
    return { shotId: item.id, status: 'failed', polls, ms: Date.now() - t0, error: err instanceof Error ? err.message : String(err) };
  }
}

/** Download -> HashCounter -> S3Storage.upload, then the `<key>.json` record: copyToStorage without Temporal. */
export async function copyVideo(
  storage: StorageBackend,
  maxBytes: number,
  url: string,
  key: string,
  meta: { taskId: string; model: string; prompt: string; seed?: number },
): Promise<{ sha256: string; bytes: number }> {
  const res = await axios.get<Readable>(url, { responseType: 'stream', timeout: 30_000, decompress: false, maxRedirects: 5 });
  const counter = new HashCounter(maxBytes, () => undefined);
  res.data.on('error', (err) => counter.destroy(err));
  res.data.pipe(counter);
  await storage.upload(key, counter, {
    contentType: 'video/mp4',
    metadata: {
      'task-id': meta.taskId,
      model: meta.model,
      'prompt-sha256': sha256Hex(meta.prompt),
      ...(meta.seed !== undefined ? { seed: String(meta.seed) } : {}),
    },
  });
  const record: VideoRecord = {
    sha256: counter.hash.digest('hex'),
    bytes: counter.bytes,
    taskId: meta.taskId,
    model: meta.model,
    ...(meta.seed !== undefined ? { seed: meta.seed } : {}),
    promptSha256: sha256Hex(meta.prompt),
    storedAt: new Date().toISOString(),
  };
  await storage.writeText(recordKey(key), JSON.stringify(record, null, 2), 'application/json');
  return { sha256: record.sha256, bytes: record.bytes };
}

/** Renders every shot through a promise pool of `window`, then writes the manifest. */
export async function runBaseline(o: BaselineRunOptions): Promise<BaselineRunResult> {
  const config = loadConfig(o.env);
  const api = clients(config);
  const { storage } = createStorage(config);
  const schedule = PollScheduleSchema.parse(o.schedule);
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const outcomes: BaselineShotOutcome[] = new Array<BaselineShotOutcome>(o.shots.length);
  let next = 0;
  const lane = async () => {
    while (next < o.shots.length) {
      const i = next++;
      outcomes[i] = await renderOne(api, storage, config.COPY_MAX_BYTES, schedule, o.storyboardId, o.shots[i] as BaselineShot);
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.window, o.shots.length) }, lane));
  await storage.writeText(
    storyboardKeys.manifest(o.storyboardId),
    JSON.stringify(
      { storyboardId: o.storyboardId, writtenAt: new Date().toISOString(), totalShots: o.shots.length, shots: outcomes },
      null,
      2,
    ),
    'application/json',
  );
  const wallMs = Date.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const failed = outcomes.filter((x) => x.status === 'failed');
  return {
    wallMs,
    stored: outcomes.length - failed.length,
    failed: failed.length,
    polls: outcomes.reduce((s, x) => s + x.polls, 0),
    shotMs: outcomes.map((x) => x.ms),
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    ...(failed[0]?.error ? { firstError: failed[0].error } : {}),
  };
}

export interface BaselineCopyOptions {
  env: Record<string, string | undefined>;
  url: string;
  key: string;
}

export interface BaselineCopyResult {
  ms: number;
  bytes: number;
  sha256: string;
  /** RSS just before the copy started and the process's peak RSS, in bytes. */
  rssBeforeBytes: number;
  maxRssBytes: number;
  /** CPU seconds (user + system, all threads) the process spent on the copy. */
  cpuSeconds: number;
}

/** One copy, measured from inside the process (peak RSS is the kernel's, via getrusage). */
export async function runBaselineCopy(o: BaselineCopyOptions, asActivity = false): Promise<BaselineCopyResult> {
  const config = loadConfig(o.env);
  const { storage } = createStorage(config);
  const copy = asActivity ? await activityCopy(storage, config.COPY_MAX_BYTES) : undefined;
  const rssBeforeBytes = process.memoryUsage().rss;
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const meta = { taskId: 'baseline-copy', model: 'bench', prompt: 'bench' };
  const { sha256, bytes } = copy ? await copy(o.url, o.key, meta) : await copyVideo(storage, config.COPY_MAX_BYTES, o.url, o.key, meta);
  const cpu = process.cpuUsage(cpu0);
  return {
    ms: Date.now() - t0,
    bytes,
    sha256,
    rssBeforeBytes,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

/** The copyToStorage activity itself, in an activity context of its own (no worker, no server). */
async function activityCopy(storage: StorageBackend, maxBytes: number) {
  // Loaded only here: the testing package brings the worker's native runtime with it.
  const { MockActivityEnvironment } = await import('@temporalio/testing');
  // The simulator is on loopback: the baseline opts in to it as the flow's workers do.
  const { copyToStorage } = createCopyActivity({ storage, maxBytes, fetchPolicy: { allowPrivateNetwork: true, allowHosts: [] } });
  return async (url: string, key: string, meta: { taskId: string; model: string; prompt: string }) => {
    const env = new MockActivityEnvironment();
    const stored: StoredObject = await env.run(copyToStorage, { url, key, ...meta });
    return { sha256: stored.sha256, bytes: stored.bytes };
  };
}

async function main(): Promise<void> {
  const [mode, file] = process.argv.slice(2);
  if (!file || (mode !== 'run' && mode !== 'copy' && mode !== 'activity'))
    throw new Error('usage: tsx bench/baseline.ts <run|copy|activity> <options.json>');
  const options = JSON.parse(readFileSync(file, 'utf8')) as BaselineRunOptions & BaselineCopyOptions;
  const result = mode === 'run' ? await runBaseline(options) : await runBaselineCopy(options, mode === 'activity');
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
      process.exit(1);
    },
  );
}
