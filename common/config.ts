/**
 * Configuration from environment variables, validated with zod at start-up. The variable
 * names are a contract users' scripts rely on: add, never rename. Every one is documented
 * in README.md. Pure: callers pass the environment in.
 */
import { z } from 'zod';
import { DEFAULT_POLL_SCHEDULE } from './poll-schedule';

const int = (min: number) => z.coerce.number().int().min(min);

export const ConfigSchema = z.object({
  GPTPROTO_API_KEY: z.string().trim().min(1).optional(),
  SEEDANCE_API_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://gptproto.com'),
  SEEDANCE_AUTH_SCHEME: z.enum(['raw', 'bearer']).default('raw'),
  /** Per HTTP request to the provider. Kept well under the submit activity's 2-minute timeout. */
  SEEDANCE_REQUEST_TIMEOUT_MS: int(1000).max(100_000).default(30_000),
  TEMPORAL_ADDRESS: z.string().trim().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  SEEDANCE_TASK_QUEUE: z.string().trim().min(1).default('seedance-flow'),
  /** `s3://bucket/prefix` or `file:///dir`; a relative `file://./dir` is resolved against the working directory. */
  STORAGE_URL: z
    .string()
    .trim()
    .regex(/^(s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?|file:\/\/.+)$/, 'must be s3://bucket/prefix or file:///dir')
    .default('file://./renders'),
  AWS_ENDPOINT_URL_S3: z.url().optional(),
  AWS_REGION: z.string().trim().min(1).default('us-east-1'),
  /** Largest video the copy accepts, in bytes. */
  COPY_MAX_BYTES: int(1).default(4 * 1024 ** 3),
  SEEDANCE_POLL_INITIAL_MS: int(0).default(DEFAULT_POLL_SCHEDULE.initialDelayMs),
  SEEDANCE_POLL_BACKOFF: z.coerce.number().min(1).max(10).default(DEFAULT_POLL_SCHEDULE.backoffFactor),
  SEEDANCE_POLL_MAX_INTERVAL_MS: int(1).default(DEFAULT_POLL_SCHEDULE.maxIntervalMs),
  SEEDANCE_POLL_DEADLINE_MS: int(1).default(DEFAULT_POLL_SCHEDULE.deadlineMs),
  /** How long in-flight activities get to finish on SIGINT/SIGTERM before they are handed back. */
  SEEDANCE_SHUTDOWN_GRACE_MS: int(0).default(30_000),
});

export type Config = z.output<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment; the error names each bad variable and never echoes secrets. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const relevant = Object.fromEntries(
    Object.keys(ConfigSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]),
  );
  const parsed = ConfigSchema.safeParse(relevant);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((i) => {
      const name = String(i.path[0]);
      const shown = name.includes('KEY') || name.includes('SECRET') ? '' : ` (got ${JSON.stringify(env[name])})`;
      return `${name}: ${i.message}${shown}`;
    }),
  );
}

export function requireApiKey(config: Config): string {
  if (!config.GPTPROTO_API_KEY) {
    throw new ConfigError(['GPTPROTO_API_KEY: required to talk to the Seedance API (set it, or point SEEDANCE_API_BASE_URL at the simulator with any key)']);
  }
  return config.GPTPROTO_API_KEY;
}

export function pollScheduleFromConfig(config: Config) {
  return {
    initialDelayMs: config.SEEDANCE_POLL_INITIAL_MS,
    backoffFactor: config.SEEDANCE_POLL_BACKOFF,
    maxIntervalMs: config.SEEDANCE_POLL_MAX_INTERVAL_MS,
    deadlineMs: config.SEEDANCE_POLL_DEADLINE_MS,
  };
}
