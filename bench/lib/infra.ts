/**
 * The servers the benchmark needs: `scripts/infra.sh up` starts the Temporal dev server and
 * MinIO, or reuses the ones already running (another engineer's tests may share them, so
 * the benchmark never stops them). Their addresses come from `.infra/env`.
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
}

export async function ensureInfra(): Promise<Infra> {
  const stateDir = process.env.SEEDANCE_STATE_DIR ?? path.join(ROOT, '.infra');
  log('starting or reusing Temporal and MinIO (scripts/infra.sh up)');
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [path.join(ROOT, 'scripts/infra.sh'), 'up'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`scripts/infra.sh up exited ${code}:\n${out}`))));
  });
  const env = parseEnvFile(readFileSync(path.join(stateDir, 'env'), 'utf8'));
  // The benchmark process itself stages storyboards and reads S3: the AWS SDK reads process.env.
  Object.assign(process.env, env);
  const s3Endpoint = env.AWS_ENDPOINT_URL_S3;
  if (!env.TEMPORAL_ADDRESS || !s3Endpoint) throw new Error(`${stateDir}/env lacks TEMPORAL_ADDRESS or AWS_ENDPOINT_URL_S3`);
  const pid = (name: string) => {
    const file = path.join(stateDir, `${name}.pid`);
    if (!existsSync(file)) return undefined;
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 && existsSync(`/proc/${n}`) ? n : undefined;
  };
  const temporalPid = pid('temporal');
  const minioPid = pid('minio');
  return {
    env,
    bucket: env.S3_BUCKET ?? 'seedance-flow',
    s3Endpoint,
    ...(temporalPid ? { temporalPid } : {}),
    ...(minioPid ? { minioPid } : {}),
  };
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
