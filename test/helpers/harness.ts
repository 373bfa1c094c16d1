/**
 * Integration harness: a real Temporal dev server and real MinIO (started by scripts/test.sh,
 * found through the environment), an in-process simulator, and a worker on a task queue of
 * its own, so test files never see each other's workflows or simulator counters.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { createS3Client } from '../../storage/s3';
import { connectClient } from '../../temporal/connection';
import { loadConfig, type Config } from '../../common/config';
import { startSimulator, type RunningSimulator, type SimulatorConfigPatch } from '../../simulator';
import { createWorkers, type WorkerHandle } from '../../workers/worker';

export const TEST_API_KEY = 'sk-test-NEVER-IN-HISTORY-4f9c2a7e1b';

export function infraEnv(): { temporalAddress: string; s3Endpoint: string; bucket: string } {
  const temporalAddress = process.env.TEMPORAL_ADDRESS;
  const s3Endpoint = process.env.AWS_ENDPOINT_URL_S3;
  if (!temporalAddress || !s3Endpoint) {
    throw new Error('integration tests need the real servers: run them through `npm test` (scripts/test.sh starts Temporal and MinIO)');
  }
  return { temporalAddress, s3Endpoint, bucket: process.env.S3_BUCKET ?? 'seedance-flow' };
}

export interface Harness {
  sim: RunningSimulator;
  config: Config;
  client: Client;
  s3: S3Client;
  bucket: string;
  /** Key prefix inside the bucket for this test file. */
  prefix: string;
  workers?: WorkerHandle;
  /** With `callbacks`: the receiver's own address (`/metrics`, `/healthz`) and the variables every worker needs. */
  callbacks?: { receiverUrl: string; env: Record<string, string> };
  stop(): Promise<void>;
}

/**
 * Callbacks for a harness: the in-process worker also runs the `callbacks` role (a receiver on a
 * free loopback port), and every worker's submits carry callback URLs to it. With
 * `inProcessWorker: false`, the in-process worker runs that role alone: the worker processes a
 * test kills never take the receiver with them.
 */
export interface HarnessCallbacks {
  /** SEEDANCE_CALLBACK_POLL_INITIAL_MS: the safety poll's first look (default 20 s: callbacks do the work). */
  safetyInitialMs?: number;
  /** SEEDANCE_CALLBACK_POLL_MAX_INTERVAL_MS (default: the first look). */
  safetyMaxIntervalMs?: number;
  /** SEEDANCE_CALLBACK_ADOPT_WAIT_MS (default 5 s). */
  adoptWaitMs?: number;
}

export interface HarnessOptions {
  sim?: SimulatorConfigPatch;
  simApiKey?: string;
  env?: Record<string, string>;
  /** false: the test runs its own worker (e.g. as a child process). */
  inProcessWorker?: boolean;
  /** Provider callbacks on (see {@link HarnessCallbacks}); off by default: polling alone. */
  callbacks?: boolean | HarnessCallbacks;
}

/** A TCP port free on loopback right now (the receiver binds it a moment later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The callback variables of every worker of a harness (the receiver's address is added for the process that runs it). */
async function callbackEnv(opts: boolean | HarnessCallbacks): Promise<{ port: number; env: Record<string, string> }> {
  const o = opts === true ? {} : (opts as HarnessCallbacks);
  const port = await freePort();
  const safetyInitialMs = o.safetyInitialMs ?? 20_000;
  return {
    port,
    env: {
      // http on loopback: allowed only because tests set SEEDANCE_ALLOW_PRIVATE_NETWORK=true.
      SEEDANCE_CALLBACK_BASE_URL: `http://127.0.0.1:${port}/seedance/callbacks`,
      SEEDANCE_CALLBACK_SECRET: `test-callback-secret-${randomUUID()}`,
      SEEDANCE_CALLBACK_POLL_INITIAL_MS: String(safetyInitialMs),
      SEEDANCE_CALLBACK_POLL_MAX_INTERVAL_MS: String(o.safetyMaxIntervalMs ?? safetyInitialMs),
      SEEDANCE_CALLBACK_ADOPT_WAIT_MS: String(o.adoptWaitMs ?? 5_000),
    },
  };
}

/** Test output shows errors only; set SEEDANCE_TEST_LOG=INFO to see the workers' logs. */
function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger((process.env.SEEDANCE_TEST_LOG as 'INFO' | undefined) ?? 'ERROR') });
  } catch {
    // already installed by an earlier test file in this process
  }
}

export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const infra = infraEnv();
  quietRuntime();
  const sim = await startSimulator({
    ...(opts.simApiKey ? { apiKey: opts.simApiKey } : {}),
    config: { renderMs: 1500, queueMs: 100, ...opts.sim },
  });
  const id = randomUUID().slice(0, 8);
  const prefix = `test-${id}`;
  const cb = opts.callbacks ? await callbackEnv(opts.callbacks) : undefined;
  const inProcess = opts.inProcessWorker !== false;
  const env: Record<string, string | undefined> = {
    ...process.env,
    GPTPROTO_API_KEY: TEST_API_KEY,
    SEEDANCE_API_BASE_URL: sim.url,
    SEEDANCE_TASK_QUEUE: `test-${id}`,
    STORAGE_URL: `s3://${infra.bucket}/${prefix}`,
    SEEDANCE_REQUEST_TIMEOUT_MS: '5000',
    SEEDANCE_SHUTDOWN_GRACE_MS: '2000',
    SEEDANCE_ALLOW_PRIVATE_NETWORK: 'true', // the simulator's video links are on 127.0.0.1
    // One simulator is one provider account: its own limiter, so no test waits behind another's leases.
    SEEDANCE_ACCOUNT: `test-${id}`,
    ...(cb
      ? {
          ...cb.env,
          SEEDANCE_CALLBACK_ADDRESS: `127.0.0.1:${cb.port}`,
          SEEDANCE_WORKER_ROLES: inProcess ? 'workflows,provider,copy,callbacks' : 'callbacks',
        }
      : {}),
    ...opts.env,
  };
  const config = loadConfig(env);
  const client = await connectClient(config, env);
  let workers: WorkerHandle | undefined;
  let running: Promise<void> | undefined;
  if (inProcess || cb) {
    workers = await createWorkers(config, { env });
    running = workers.run();
  }
  const s3 = createS3Client({ endpoint: infra.s3Endpoint });
  return {
    sim,
    config,
    client,
    s3,
    bucket: infra.bucket,
    prefix,
    ...(workers ? { workers } : {}),
    ...(cb && workers?.callbackReceiver ? { callbacks: { receiverUrl: workers.callbackReceiver.url, env: cb.env } } : {}),
    async stop() {
      workers?.shutdown();
      await running;
      await client.connection.close();
      s3.destroy();
      await sim.close();
    },
  };
}

/** The environment of a worker process that serves this harness's queue, simulator and storage. */
export function harnessWorkerEnv(h: Harness, extra: Record<string, string> = {}): Record<string, string | undefined> {
  return {
    ...process.env,
    GPTPROTO_API_KEY: TEST_API_KEY,
    SEEDANCE_API_BASE_URL: h.sim.url,
    SEEDANCE_TASK_QUEUE: h.config.SEEDANCE_TASK_QUEUE,
    STORAGE_URL: h.config.STORAGE_URL,
    SEEDANCE_REQUEST_TIMEOUT_MS: '5000',
    // Callback URLs on every submit, to the harness's receiver (worker processes run no receiver).
    ...h.callbacks?.env,
    ...extra,
  };
}

/** The callback receiver's counters from its `/metrics` (`seedance_callbacks_<name>_total{label="value"}` → number). */
export async function receiverMetrics(h: Harness): Promise<Record<string, number>> {
  if (!h.callbacks) throw new Error('this harness has no callback receiver (startHarness({ callbacks: true }))');
  const res = await fetch(`${h.callbacks.receiverUrl}/metrics`);
  if (!res.ok) throw new Error(`GET /metrics: ${res.status}`);
  const out: Record<string, number> = {};
  for (const line of (await res.text()).split('\n')) {
    const m = /^seedance_callbacks_(\S+?)_total(\{[^}]*\})? (\d+(?:\.\d+)?)$/.exec(line);
    if (m) out[`${m[1]}${m[2] ?? ''}`] = Number(m[3]);
  }
  return out;
}

/** Fast polling for tests: renders take a second or two on the simulator. */
export const FAST_SCHEDULE = { initialDelayMs: 300, backoffFactor: 1.5, maxIntervalMs: 1000, deadlineMs: 60_000 };

export async function sha256OfStream(stream: Readable): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Reads back what is really in the bucket. */
export async function s3Object(h: Harness, key: string): Promise<{ sha256: string; bytes: number; metadata: Record<string, string> }> {
  const res = await h.s3.send(new GetObjectCommand({ Bucket: h.bucket, Key: key }));
  const digest = await sha256OfStream(res.Body as Readable);
  return { ...digest, metadata: res.Metadata ?? {} };
}

/** A small object's text (manifests, records). */
export async function s3Text(h: Harness, key: string): Promise<string> {
  const res = await h.s3.send(new GetObjectCommand({ Bucket: h.bucket, Key: key }));
  return (await res.Body?.transformToString('utf8')) ?? '';
}

/** What the simulator serves at a URL, hashed. */
export async function servedSha256(url: string): Promise<{ sha256: string; bytes: number }> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new Error(`GET ${url}: ${res.status}`);
  const { Readable } = await import('node:stream');
  return sha256OfStream(Readable.fromWeb(res.body as never));
}

/** Waits for a condition with a bounded timeout; fails with the last value seen. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T> | T,
  ok: (v: T) => boolean,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    try {
      last = await probe();
      if (ok(last)) return last;
    } catch {
      // not ready yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
