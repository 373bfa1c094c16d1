/**
 * Everything a scenario needs: the servers, a simulator, a Temporal client, storage, and the
 * environment a seedance-flow worker (or the baseline) is started with. Every name carries
 * the invocation's id, so nothing collides with other users of the same servers.
 */
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import { createS3Client } from '../../storage/s3';
import { connectClient } from '../../temporal/connection';
import { loadConfig, type Config } from '../../common/config';
import type { PollScheduleInput } from '../../common/poll-schedule';
import { startSimulator, type RunningSimulator, type SimulatorConfigPatch } from '../../simulator';
import type { Infra } from './infra';
import { log } from './util';

export const BENCH_API_KEY = 'sk-bench-simulator-only';

export interface BenchContext {
  infra: Infra;
  id: string;
  quick: boolean;
  /** The benchmark's own configuration (the servers' addresses), for its clients and connections. */
  config: Config;
  client: Client;
  s3: S3Client;
  /** Key prefix of everything this invocation writes, inside the bucket. */
  prefix: string;
  /** The process environment plus the servers' addresses. */
  baseEnv: Record<string, string | undefined>;
  cleanups: Array<() => Promise<void>>;
}

export async function createContext(infra: Infra, id: string, quick: boolean): Promise<BenchContext> {
  const baseEnv: Record<string, string | undefined> = {
    ...process.env,
    ...infra.env,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const config = loadConfig({ ...baseEnv, GPTPROTO_API_KEY: BENCH_API_KEY });
  const client = await connectClient(config, baseEnv);
  const s3 = createS3Client({ endpoint: infra.s3Endpoint, region: infra.env.AWS_REGION ?? 'us-east-1' });
  return { infra, id, quick, config, client, s3, prefix: `bench-${id}`, baseEnv, cleanups: [] };
}

/** A simulator in this process with the given configuration (any key is accepted). */
export async function startSim(config: SimulatorConfigPatch = {}): Promise<RunningSimulator> {
  return startSimulator({ config: { queueMs: 100, ...config } });
}

export interface FlowEnvOptions {
  sim: RunningSimulator;
  taskQueue: string;
  /** Storage prefix (inside the bucket) of this scenario. */
  prefix: string;
  extra?: Record<string, string>;
}

/** The worker's (and the baseline's) environment: the simulator, a bench task queue, bench storage. */
export function flowEnv(ctx: BenchContext, o: FlowEnvOptions): Record<string, string | undefined> {
  return {
    ...ctx.baseEnv,
    GPTPROTO_API_KEY: BENCH_API_KEY,
    SEEDANCE_API_BASE_URL: o.sim.url,
    SEEDANCE_TASK_QUEUE: o.taskQueue,
    STORAGE_URL: `s3://${ctx.infra.bucket}/${o.prefix}`,
    SEEDANCE_LOG_LEVEL: 'WARN',
    SEEDANCE_LOG_FORMAT: 'text',
    SEEDANCE_SHUTDOWN_GRACE_MS: '5000',
    // The simulator serves videos from loopback, which production settings refuse.
    SEEDANCE_ALLOW_PRIVATE_NETWORK: 'true',
    ...o.extra,
  };
}

export function configFrom(env: Record<string, string | undefined>): Config {
  return loadConfig(env);
}

/** A poll schedule for renders of seconds (every duration in ms); deadline generous. */
export interface FastSchedule {
  initialDelayMs: number;
  backoffFactor: number;
  maxIntervalMs: number;
}

/**
 * Renders of a few seconds need a schedule of seconds, the same for seedance-flow and the
 * baseline. Pinned here rather than derived from the product default, so that a change of the
 * default does not change what scenarios 1 and 4 measure (the old default, 10 s ×1.5 cap 30 s,
 * divided by 5).
 */
export const SECONDS_SCHEDULE: FastSchedule = { initialDelayMs: 2000, backoffFactor: 1.5, maxIntervalMs: 6000 };
/** Scenario 1's longer renders (15-30 s): the product default's shape (a first look, then a fixed interval) divided by 5. */
export const LONGER_SCHEDULE: FastSchedule = { initialDelayMs: 9_000, backoffFactor: 1, maxIntervalMs: 6_000 };
/** Scenario 1's throughput sweep: 1 s renders, the same shape divided by 4. */
export const SWEEP_SCHEDULE: FastSchedule = { initialDelayMs: 500, backoffFactor: 1.5, maxIntervalMs: 1500 };

export function withDeadline(s: FastSchedule): Required<PollScheduleInput> {
  return { ...s, deadlineMs: 30 * 60 * 1000 };
}

export function describeSchedule(s: FastSchedule): string {
  return `first poll ${s.initialDelayMs / 1000} s, ×${s.backoffFactor}, cap ${s.maxIntervalMs / 1000} s`;
}

/** Deletes every object under `prefix` (videos of 2 GB must not pile up on a shared disk). */
export async function deletePrefix(ctx: BenchContext, prefix: string): Promise<number> {
  let deleted = 0;
  let token: string | undefined;
  do {
    const page = await ctx.s3.send(new ListObjectsV2Command({ Bucket: ctx.infra.bucket, Prefix: `${prefix}/`, ContinuationToken: token }));
    const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key as string }));
    if (keys.length) {
      await ctx.s3.send(new DeleteObjectsCommand({ Bucket: ctx.infra.bucket, Delete: { Objects: keys, Quiet: true } }));
      deleted += keys.length;
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return deleted;
}

export async function closeContext(ctx: BenchContext, keep: boolean): Promise<void> {
  for (const c of ctx.cleanups.reverse()) {
    try {
      await c();
    } catch (err) {
      log(`cleanup failed: ${String(err)}`);
    }
  }
  if (!keep) {
    try {
      const n = await deletePrefix(ctx, ctx.prefix);
      log(`deleted ${n} objects under s3://${ctx.infra.bucket}/${ctx.prefix}/`);
    } catch (err) {
      log(`could not delete s3://${ctx.infra.bucket}/${ctx.prefix}/: ${String(err)}`);
    }
  }
  await ctx.client.connection.close();
  ctx.s3.destroy();
}
