/**
 * Configuration from environment variables, validated with zod at start-up. The variable
 * names are a contract users' scripts rely on: add, never rename. Every variable the product
 * reads is declared here, typed and defaulted, including those another library reads from
 * the environment we pass it (the AWS SDK's credentials, Temporal's envconfig) and the one
 * the launcher reads before anything loads (SEEDANCE_USE_DIST). README.md's configuration
 * table lists exactly these ({@link CONFIG_VARIABLES}); test/unit/config-readme.test.ts keeps
 * the two in step. Pure: callers pass the environment in.
 *
 * The simulator (`seedance-flow simulator`, simulator/run-from-env.ts) is not configured
 * here: it stands in for the provider, runs alone (compose starts it with HOST and PORT) and
 * shares no setting with the product. The README lists its variables in a table of their own,
 * checked against what run-from-env.ts reads.
 */
import { z } from 'zod';
import { DEFAULT_POLL_SCHEDULE } from './poll-schedule';
import { PROCESS_ROLES } from './task-queues';
import type { AdmissionInput } from './admission';

const int = (min: number) => z.coerce.number().int().min(min);
/** A value this code does not interpret: passed on (to the AWS SDK, Temporal's envconfig) or used as given (a path). */
const passedOn = () => z.string().optional();

export const DEFAULT_AWS_REGION = 'us-east-1';

export const ConfigSchema = z.object({
  GPTPROTO_API_KEY: z.string().trim().min(1).optional(),
  SEEDANCE_API_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://gptproto.com'),
  SEEDANCE_AUTH_SCHEME: z.enum(['raw', 'bearer']).default('raw'),
  /** Per HTTP request to the provider. Kept well under the submit activity's 2-minute timeout. */
  SEEDANCE_REQUEST_TIMEOUT_MS: int(1000).max(100_000).default(30_000),
  TEMPORAL_ADDRESS: z.string().trim().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  /**
   * Temporal's standard environment configuration, read by `@temporalio/envconfig` from the
   * environment the connection is given (the profile file first, these over it). Declared
   * so every variable is in one place; their values are envconfig's to check.
   */
  TEMPORAL_API_KEY: passedOn(),
  TEMPORAL_TLS: passedOn(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: passedOn(),
  TEMPORAL_TLS_CLIENT_CERT_DATA: passedOn(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: passedOn(),
  TEMPORAL_TLS_CLIENT_KEY_DATA: passedOn(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: passedOn(),
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: passedOn(),
  TEMPORAL_TLS_SERVER_NAME: passedOn(),
  TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: passedOn(),
  TEMPORAL_PROFILE: passedOn(),
  TEMPORAL_CONFIG_FILE: passedOn(),
  SEEDANCE_TASK_QUEUE: z.string().trim().min(1).default('seedance-flow'),
  /** `s3://bucket/prefix` or `file:///dir`; a relative `file://./dir` is resolved against the working directory. */
  STORAGE_URL: z
    .string()
    .trim()
    .regex(/^(s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?|file:\/\/.+)$/, 'must be s3://bucket/prefix or file:///dir')
    .default('file://./renders'),
  AWS_ENDPOINT_URL_S3: z.url().optional(),
  AWS_REGION: z.string().trim().min(1).default(DEFAULT_AWS_REGION),
  /** Read by the AWS SDK itself from the environment; the secret is also redacted from logs. */
  AWS_ACCESS_KEY_ID: passedOn(),
  AWS_SECRET_ACCESS_KEY: passedOn(),
  /** Largest video the copy accepts, in bytes. */
  COPY_MAX_BYTES: int(1).default(4 * 1024 ** 3),
  /**
   * How a submit hands staged reference videos and audio clips (Seedance 2.0) to the provider
   * (activities/seedance/media.ts): `presigned` GET links to our S3 storage, `inline` base64 data
   * URLs, or `auto`: presigned on S3 storage, inline on the filesystem backend.
   */
  SEEDANCE_MEDIA_DELIVERY: z.enum(['auto', 'presigned', 'inline']).default('auto'),
  /** The S3 endpoint as the provider reaches it, for presigned links (default: AWS_ENDPOINT_URL_S3, else AWS S3). */
  SEEDANCE_MEDIA_PRESIGN_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * Local development only: let the copy fetch outputs from loopback, private (RFC 1918,
   * CGNAT, IPv6 ULA) and link-local addresses, e.g. the simulator on 127.0.0.1. Cloud
   * metadata, unspecified, multicast and reserved addresses stay refused. Off in production.
   */
  SEEDANCE_ALLOW_PRIVATE_NETWORK: z.stringbool().default(false),
  /**
   * Hosts the copy may fetch from whatever they resolve to: comma-separated `host`,
   * `host:port`, `*.domain[:port]` (subdomains only) or `[ipv6]:port`. For an internal
   * store or CDN the provider's links point at; every other host must resolve to public
   * addresses.
   */
  SEEDANCE_FETCH_ALLOW_HOSTS: z
    .string()
    .default('')
    .transform((text, ctx) => {
      const patterns: HostPattern[] = [];
      for (const entry of text
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean)) {
        const pattern = parseHostPattern(entry);
        if (pattern) patterns.push(pattern);
        else
          ctx.addIssue({
            code: 'custom',
            message: `${JSON.stringify(entry.slice(0, 80))} is not host, host:port, *.domain[:port] or [ipv6]:port`,
          });
      }
      return patterns;
    }),
  SEEDANCE_POLL_INITIAL_MS: int(0).default(DEFAULT_POLL_SCHEDULE.initialDelayMs),
  SEEDANCE_POLL_BACKOFF: z.coerce.number().min(1).max(10).default(DEFAULT_POLL_SCHEDULE.backoffFactor),
  SEEDANCE_POLL_MAX_INTERVAL_MS: int(1).default(DEFAULT_POLL_SCHEDULE.maxIntervalMs),
  SEEDANCE_POLL_DEADLINE_MS: int(1).default(DEFAULT_POLL_SCHEDULE.deadlineMs),
  /** How long in-flight activities get to finish on SIGINT/SIGTERM before they are handed back. */
  SEEDANCE_SHUTDOWN_GRACE_MS: int(0).default(30_000),
  /** Which workers this process runs: any of workflows, provider, copy, callbacks (comma-separated). */
  SEEDANCE_WORKER_ROLES: z
    .string()
    .default('workflows,provider,copy')
    .transform((v) =>
      v
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(PROCESS_ROLES)).min(1, 'name at least one of workflows, provider, copy, callbacks')),
  /**
   * Public base URL of the callback receiver (the `callbacks` role behind a reverse proxy):
   * set, every tasks-family submit carries `callback_url = <base>/<token>` and polling
   * becomes a slow safety net. https only, except for local development with
   * SEEDANCE_ALLOW_PRIVATE_NETWORK=true. Unset: polling alone, as before.
   */
  SEEDANCE_CALLBACK_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /**
   * The HMAC key(s) of callback tokens, comma-separated, each at least 32 characters: the first
   * signs, every one verifies (rotation: prepend the new one, drop the old after 72 h, the
   * longest a task may wait). Never logged, never in history.
   */
  SEEDANCE_CALLBACK_SECRET: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().min(32, 'each secret must be at least 32 characters')).min(1))
    .optional(),
  /** host:port the callback receiver (role `callbacks`) listens on. */
  SEEDANCE_CALLBACK_ADDRESS: z
    .string()
    .regex(/^[^\s]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:8788')
    .default('127.0.0.1:8788'),
  /** With callbacks: the safety-net poll's first look after submit. */
  SEEDANCE_CALLBACK_POLL_INITIAL_MS: int(1000).default(300_000),
  /** With callbacks: the safety-net poll's largest interval. */
  SEEDANCE_CALLBACK_POLL_MAX_INTERVAL_MS: int(1000).default(300_000),
  /** With callbacks: after an ambiguous submit, how long to wait for a callback carrying that attempt's token. */
  SEEDANCE_CALLBACK_ADOPT_WAIT_MS: int(0).default(60_000),
  /**
   * Serve the seedance-flow Nexus service (nexus/service.ts) on the workflows worker's queue
   * (SEEDANCE_TASK_QUEUE), for callers in other namespaces through a Nexus endpoint that
   * targets it. Off unless asked for: it opens this deployment to other namespaces.
   */
  SEEDANCE_NEXUS: z.stringbool().default(false),
  /**
   * A price table (JSON or YAML, see examples/prices.example.json): prices per million tokens by
   * model, with and without audio, in one currency. Unset: estimates show tokens only, and a
   * budget in a currency is refused.
   */
  SEEDANCE_PRICES_FILE: passedOn(),
  /**
   * `render` with a real API key asks for confirmation (on a terminal; refuses elsewhere without
   * `--yes`) when the estimate's top passes this: tokens (`2000000`) or an amount in the price
   * file's currency (`5USD`, needs SEEDANCE_PRICES_FILE). `0`: always.
   */
  SEEDANCE_CONFIRM_ABOVE: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?\s*([A-Za-z]{3})?$/, 'must be tokens (2000000) or an amount with its currency (5USD)')
    .default('0'),
  /**
   * Payload encryption (temporal/codec.ts): `id:base64key` pairs, comma-separated, each key 32
   * bytes (AES-256-GCM). The first key encrypts, every listed key decrypts (rotation: prepend the
   * new one). Set, every payload this process sends to Temporal is encrypted; never logged.
   */
  SEEDANCE_CODEC_KEYS: passedOn(),
  /** A file holding the same pairs (comma- or line-separated, `#` comments); instead of SEEDANCE_CODEC_KEYS. */
  SEEDANCE_CODEC_KEYS_FILE: passedOn(),
  /** host:port `seedance-flow codec-server` listens on (loopback by default). */
  SEEDANCE_CODEC_SERVER_ADDRESS: z
    .string()
    .regex(/^[^\s]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:8789')
    .default('127.0.0.1:8789'),
  /** The bearer token callers of the codec server must send (`Authorization: Bearer <token>`), at least 32 characters. */
  SEEDANCE_CODEC_SERVER_TOKEN: z.string().trim().min(32, 'must be at least 32 characters').optional(),
  /** Origins (comma-separated) whose pages may call the codec server (CORS): the Temporal UI's address. */
  SEEDANCE_CODEC_SERVER_ORIGINS: z
    .string()
    .default('http://localhost:8233')
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim().replace(/\/+$/, ''))
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'each origin must be scheme://host[:port], e.g. http://localhost:8233'))),
  /**
   * Local development only: the codec server accepts requests without a token (the dev server's
   * UI sends none). Refused unless SEEDANCE_CODEC_SERVER_ADDRESS is a loopback address.
   */
  SEEDANCE_CODEC_SERVER_INSECURE_NO_AUTH: z.stringbool().default(false),
  /** Account-wide admission control: renders started by the CLI ask the account's limiter for a lease per submit. */
  SEEDANCE_ADMISSION: z.stringbool().default(true),
  /** The provider account the limiter guards (its workflow id is `seedance-admission/<account>`). */
  SEEDANCE_ACCOUNT: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, '1-64 letters, digits, . _ : -')
    .default('default'),
  /** Tasks active at the provider per model (the provider's documented concurrency); the adaptive limit never exceeds it. */
  SEEDANCE_MAX_ACTIVE_PER_MODEL: int(1).default(10),
  /** Tasks at the provider (queued or running) in total across models: the provider's queue. */
  SEEDANCE_MAX_QUEUED: int(1).default(120),
  /** Provider calls per second across ALL workers (Temporal enforces it on the provider task queue). */
  SEEDANCE_PROVIDER_RPS: z.coerce.number().positive().default(10),
  /** Provider calls in flight in this worker. */
  SEEDANCE_PROVIDER_CONCURRENCY: int(1).default(50),
  /** Copies in flight in this worker (each holds ~2 multipart parts of 8 MiB). */
  SEEDANCE_COPY_CONCURRENCY: int(1).default(4),
  /** Workflow tasks in flight in this worker. */
  SEEDANCE_WORKFLOW_CONCURRENCY: int(1).default(100),
  /**
   * Workflow executions this worker keeps in memory between their tasks (the sticky cache).
   * A storyboard at window W keeps about W + 2 busy; one pushed out is replayed from its history
   * at its next task (CPU, not correctness). The SDK's own default grows with the machine
   * (≈2,300 here); a bound keeps the worker's memory from growing with it.
   */
  SEEDANCE_MAX_CACHED_WORKFLOWS: int(2).default(600),
  /** host:port of the Prometheus endpoint (SDK and seedance-flow metrics); unset: no endpoint. */
  SEEDANCE_METRICS_ADDRESS: z
    .string()
    .regex(/^[^:\s]+:\d{1,5}$/, 'must be host:port, e.g. 0.0.0.0:9464')
    .optional(),
  /** `json` (one object per line, for log pipelines) or `text`. */
  SEEDANCE_LOG_FORMAT: z.enum(['json', 'text']).default('json'),
  SEEDANCE_LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** Path of a prebuilt workflow bundle; unset: dist/workflow-bundle.js when running compiled code, else workflows/ bundled at start. */
  SEEDANCE_WORKFLOW_BUNDLE: passedOn(),
  /** ffmpeg for report thumbnails; unset: the binary @ffmpeg-installer/ffmpeg ships. */
  FFMPEG_PATH: passedOn(),
  /**
   * Any non-empty value: bin/seedance-flow.js runs the compiled dist/ instead of the sources.
   * The launcher reads it before any of this code loads; declared here to be documented.
   */
  SEEDANCE_USE_DIST: passedOn(),
  /** Where scripts/infra.sh caches the binaries it builds (`demo` looks for Temporal in its bin/); unset: ~/.cache/seedance-flow. */
  SEEDANCE_CACHE_DIR: passedOn(),
  /** The Temporal CLI `demo` runs as its embedded dev server; unset: the cached one, else built on first use. */
  TEMPORAL_CLI_PATH: passedOn(),
});

export type Config = z.output<typeof ConfigSchema>;

/** The name of an environment variable the product reads. */
export type ConfigVariable = keyof typeof ConfigSchema.shape;

/** Every environment variable the product reads, in the schema's order. */
export const CONFIG_VARIABLES = Object.keys(ConfigSchema.shape) as ConfigVariable[];

/**
 * Each variable's default as text, as the README shows it: what an unset variable becomes
 * (lists joined with commas). Absent: no default, or one that is not a value (described in
 * the README in words: the shipped ffmpeg, the cache in the home directory).
 */
export function configDefaults(): Partial<Record<ConfigVariable, string>> {
  const parsed = ConfigSchema.parse({}) as Record<string, unknown>;
  const out: Partial<Record<ConfigVariable, string>> = {};
  for (const name of CONFIG_VARIABLES) {
    const value = parsed[name];
    if (Array.isArray(value)) {
      if (value.length > 0 && value.every((v) => typeof v === 'string')) out[name] = value.join(',');
    } else if (value !== undefined) out[name] = String(value);
  }
  return out;
}

/**
 * What `seedance-flow demo` uses where the environment leaves a variable unset: its own task
 * queue, so a demo never serves another worker's queue, and quiet, readable logs.
 */
export const DEMO_DEFAULTS = {
  SEEDANCE_TASK_QUEUE: 'seedance-flow-demo',
  SEEDANCE_LOG_FORMAT: 'text',
  SEEDANCE_LOG_LEVEL: 'ERROR',
} as const satisfies Partial<Record<ConfigVariable, string>>;

/** And on the built-in simulator, which renders in seconds: polls every 2 s. */
export const SIMULATED_DEMO_DEFAULTS = {
  SEEDANCE_POLL_INITIAL_MS: '2000',
  SEEDANCE_POLL_MAX_INTERVAL_MS: '2000',
} as const satisfies Partial<Record<ConfigVariable, string>>;

/** `env` with `defaults` filled in where a variable is not set at all (a set value, even empty, is kept). */
export function withDefaults(
  env: Record<string, string | undefined>,
  defaults: Partial<Record<ConfigVariable, string>>,
): Record<string, string | undefined> {
  const out = { ...env };
  for (const [name, value] of Object.entries(defaults)) if (out[name] === undefined) out[name] = value;
  return out;
}

/** One entry of SEEDANCE_FETCH_ALLOW_HOSTS. */
export interface HostPattern {
  /** Lower-case host name or IP address (IPv6 without brackets); for a wildcard, the domain. */
  host: string;
  /** `*.domain`: any subdomain of `host`, not `host` itself. */
  wildcard: boolean;
  /** Only this port (absent: any). */
  port?: number;
}

const HOST_NAME = /^[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*$/;

/** `host`, `host:port`, `*.domain[:port]`, `[ipv6][:port]`; undefined when it is none of these. */
export function parseHostPattern(entry: string): HostPattern | undefined {
  const text = entry.trim().toLowerCase();
  if (text.length === 0 || text.length > 300) return undefined;
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([0-9a-f:.]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1] as string;
    portText = bracketed[2];
    if (!host.includes(':')) return undefined;
  } else {
    const m = /^([^:\s]+)(?::(\d{1,5}))?$/.exec(text);
    if (!m) return undefined;
    host = (m[1] as string).replace(/\.$/, '');
    portText = m[2];
  }
  const wildcard = host.startsWith('*.');
  if (wildcard) host = host.slice(2);
  if (!bracketed && !HOST_NAME.test(host)) return undefined;
  let port: number | undefined;
  if (portText !== undefined) {
    port = Number(portText);
    if (port < 1 || port > 65535) return undefined;
  }
  return { host, wildcard, ...(port !== undefined ? { port } : {}) };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** Validates the environment; the error names each bad variable and never echoes secrets. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const relevant = Object.fromEntries(Object.keys(ConfigSchema.shape).map((k) => [k, env[k] === '' ? undefined : env[k]]));
  const parsed = ConfigSchema.safeParse(relevant);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((i) => {
      const name = String(i.path[0]);
      const shown = name.includes('KEY') || name.includes('SECRET') || name.includes('TOKEN') ? '' : ` (got ${JSON.stringify(env[name])})`;
      return `${name}: ${i.message}${shown}`;
    }),
  );
}

export function requireApiKey(config: Config): string {
  if (!config.GPTPROTO_API_KEY) {
    throw new ConfigError([
      'GPTPROTO_API_KEY: required to talk to the Seedance API (set it, or point SEEDANCE_API_BASE_URL at the simulator with any key)',
    ]);
  }
  return config.GPTPROTO_API_KEY;
}

/** The callback settings a process needs, checked across variables; undefined when callbacks are off. */
export interface CallbackSettings {
  baseUrl: string;
  secrets: string[];
  plan: { safetyInitialDelayMs: number; safetyMaxIntervalMs: number; adoptWaitMs: number };
}

/**
 * Callbacks are on when SEEDANCE_CALLBACK_BASE_URL is set. Then a secret is required, and the
 * URL must be https unless local development allows private networks (the token would travel
 * in clear text). The receiver role needs the secret even when this process submits nothing.
 */
export function callbackSettings(config: Config): CallbackSettings | undefined {
  const problems: string[] = [];
  const base = config.SEEDANCE_CALLBACK_BASE_URL;
  const receiving = config.SEEDANCE_WORKER_ROLES.includes('callbacks');
  if ((base || receiving) && !config.SEEDANCE_CALLBACK_SECRET) {
    problems.push(`SEEDANCE_CALLBACK_SECRET: required when ${base ? 'SEEDANCE_CALLBACK_BASE_URL is set' : 'the callbacks role runs'}`);
  }
  if (base && base.startsWith('http:') && !config.SEEDANCE_ALLOW_PRIVATE_NETWORK) {
    problems.push('SEEDANCE_CALLBACK_BASE_URL: must be https (http only for local development, with SEEDANCE_ALLOW_PRIVATE_NETWORK=true)');
  }
  if (base && (base.includes('?') || base.includes('#'))) problems.push('SEEDANCE_CALLBACK_BASE_URL: must have no query or fragment');
  if (problems.length) throw new ConfigError(problems);
  if (!base || !config.SEEDANCE_CALLBACK_SECRET) return undefined;
  return {
    baseUrl: base.replace(/\/+$/, ''),
    secrets: config.SEEDANCE_CALLBACK_SECRET,
    plan: {
      safetyInitialDelayMs: config.SEEDANCE_CALLBACK_POLL_INITIAL_MS,
      safetyMaxIntervalMs: config.SEEDANCE_CALLBACK_POLL_MAX_INTERVAL_MS,
      adoptWaitMs: config.SEEDANCE_CALLBACK_ADOPT_WAIT_MS,
    },
  };
}

export function pollScheduleFromConfig(config: Config) {
  return {
    initialDelayMs: config.SEEDANCE_POLL_INITIAL_MS,
    backoffFactor: config.SEEDANCE_POLL_BACKOFF,
    maxIntervalMs: config.SEEDANCE_POLL_MAX_INTERVAL_MS,
    deadlineMs: config.SEEDANCE_POLL_DEADLINE_MS,
  };
}

/**
 * What a render started with this configuration carries for admission control (absent when
 * SEEDANCE_ADMISSION is off).
 */
export function admissionFor(config: Config, opts: { priority?: number; group?: string } = {}): AdmissionInput | undefined {
  if (!config.SEEDANCE_ADMISSION) return undefined;
  return { account: config.SEEDANCE_ACCOUNT, ...opts };
}
