/**
 * The servers the benchmark needs: `scripts/infra.sh up` starts the Temporal dev server and
 * MinIO, or reuses the ones already running (another engineer's tests may share them, so
 * the benchmark never stops them). Their addresses come from `.infra/env`. The production
 * topology (`up --topology production`: the Temporal server on PostgreSQL) is started the same
 * way beside it, and its Temporal address replaces the dev server's; MinIO stays.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, log } from './util';

export interface Infra {
  /** TEMPORAL_ADDRESS, AWS_* and friends, as `.infra/env` exports them. */
  env: Record<string, string>;
  bucket: string;
  s3Endpoint: string;
  temporalPid?: number;
  minioPid?: number;
  /** The production topology's PostgreSQL postmaster (its backends are its children). */
  postgresPid?: number;
  topology: Topology;
}

export const TOPOLOGIES = ['dev', 'production'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

function infraSh(args: string[]): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [path.join(ROOT, 'scripts/infra.sh'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`scripts/infra.sh ${args.join(' ')} exited ${code}:\n${out.slice(-4000)}`)),
    );
  });
}

export async function ensureInfra(topology: Topology = 'dev'): Promise<Infra> {
  const stateDir = process.env.SEEDANCE_STATE_DIR ?? path.join(ROOT, '.infra');
  log('starting or reusing Temporal and MinIO (scripts/infra.sh up)');
  await infraSh(['up']);
  const env = parseEnvFile(readFileSync(path.join(stateDir, 'env'), 'utf8'));
  // The benchmark process itself stages storyboards and reads S3: the AWS SDK reads process.env.
  // The dev topology's addresses only: a production context passes its own to its client.
  Object.assign(process.env, env);
  let postgresPid: number | undefined;
  if (topology === 'production') {
    log('starting or reusing the production topology: PostgreSQL and the Temporal server (scripts/infra.sh up --topology production)');
    await infraSh(['up', '--topology', 'production']);
    const prod = parseEnvFile(readFileSync(path.join(stateDir, 'production.env'), 'utf8'));
    env.TEMPORAL_ADDRESS = prod.TEMPORAL_ADDRESS as string;
    env.TEMPORAL_NAMESPACE = prod.TEMPORAL_NAMESPACE ?? 'default';
    env.TEMPORAL_SERVER_PIDFILE = prod.TEMPORAL_SERVER_PIDFILE as string;
    postgresPid = prod.SEEDANCE_PG_PIDFILE ? pidIn(prod.SEEDANCE_PG_PIDFILE) : undefined;
  }
  const s3Endpoint = env.AWS_ENDPOINT_URL_S3;
  if (!env.TEMPORAL_ADDRESS || !s3Endpoint) throw new Error(`${stateDir}/env lacks TEMPORAL_ADDRESS or AWS_ENDPOINT_URL_S3`);
  const temporalPid = pidIn(env.TEMPORAL_SERVER_PIDFILE ?? path.join(stateDir, 'temporal.pid'));
  const minioPid = pidIn(path.join(stateDir, 'minio.pid'));
  return {
    env,
    bucket: env.S3_BUCKET ?? 'seedance-flow',
    s3Endpoint,
    topology,
    ...(temporalPid ? { temporalPid } : {}),
    ...(minioPid ? { minioPid } : {}),
    ...(postgresPid ? { postgresPid } : {}),
  };
}

/** The live process a pid file names (its first line), if any. */
function pidIn(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  const n = Number(readFileSync(file, 'utf8').split('\n')[0]?.trim());
  return Number.isInteger(n) && n > 0 && existsSync(`/proc/${n}`) ? n : undefined;
}

/** `export NAME=value` lines (values may be single- or double-quoted). */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let value = (m[2] as string).trim();
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    env[m[1] as string] = value;
  }
  return env;
}
