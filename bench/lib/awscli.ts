/**
 * `aws s3 cp` for the copy comparison: awscli from PyPI in a virtualenv under the cache
 * directory (installed by the benchmark when missing), run with a Python wrapper that reports
 * the pipeline's wall time and its largest process's peak RSS (getrusage of the children).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { log } from './util';

const run = promisify(execFile);

export interface AwsCli {
  aws: string;
  python: string;
  version: string;
  /** Where it came from: the benchmark's virtualenv, or an `aws` already on PATH. */
  source: string;
}

export async function ensureAwsCli(): Promise<AwsCli | { error: string }> {
  const cache = process.env.SEEDANCE_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'seedance-flow');
  const venv = path.join(cache, 'bench-awscli');
  const aws = path.join(venv, 'bin', 'aws');
  const python = path.join(venv, 'bin', 'python');
  const problems: string[] = [];
  if (!existsSync(aws)) {
    log(`installing awscli from PyPI into ${venv} (once)`);
    try {
      await run('python3', ['-m', 'venv', venv], { timeout: 120_000 });
      await run(path.join(venv, 'bin', 'pip'), ['install', '--quiet', '--disable-pip-version-check', 'awscli'], { timeout: 600_000 });
    } catch (err) {
      problems.push(`pip install awscli failed: ${String((err as { stderr?: string }).stderr ?? err).slice(0, 400)}`);
    }
  }
  if (existsSync(aws) && existsSync(python)) {
    try {
      return { aws, python, version: await versionOf(aws), source: `virtualenv ${venv}` };
    } catch (err) {
      problems.push(`${aws} does not run: ${String(err).slice(0, 200)}`);
    }
  }
  // Fall back to an aws already installed on this machine, if any.
  try {
    const { stdout } = await run('bash', ['-c', 'command -v aws && command -v python3']);
    const [onPath, py] = stdout.trim().split('\n');
    if (onPath && py) return { aws: onPath, python: py, version: await versionOf(onPath), source: `PATH (${problems.join('; ')})` };
  } catch {
    // none
  }
  return { error: problems.join('; ') || 'awscli could not be installed' };
}

async function versionOf(aws: string): Promise<string> {
  const { stdout, stderr } = await run(aws, ['--version'], { timeout: 60_000 });
  return (stdout || stderr).trim().split(' ')[0] ?? 'aws-cli';
}

const WRAPPER = `
import json, resource, subprocess, sys, time
t = time.time()
r = subprocess.run(["bash", "-o", "pipefail", "-c", sys.argv[1]], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"rc": r.returncode, "ms": (time.time() - t) * 1000,
                  "maxRssBytes": u.ru_maxrss * 1024, "cpuSeconds": u.ru_utime + u.ru_stime,
                  "stderr": r.stderr.decode("utf8", "replace")[-2000:]}))
`;

/** Streams `url` into `s3://bucket/key` with `curl | aws s3 cp -`, as a user would without a program. */
export async function awsCopy(
  cli: AwsCli,
  o: { url: string; bucket: string; key: string; size: number; endpoint: string; env: Record<string, string | undefined> },
): Promise<{ ms: number; maxRssBytes: number; cpuSeconds: number }> {
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const pipeline =
    `curl -sS --fail ${q(o.url)} | ${q(cli.aws)} s3 cp - ${q(`s3://${o.bucket}/${o.key}`)} ` +
    `--expected-size ${o.size} --endpoint-url ${q(o.endpoint)} --only-show-errors`;
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(cli.python, ['-c', WRAPPER, pipeline], {
      env: { ...o.env, AWS_DEFAULT_REGION: o.env.AWS_REGION ?? 'us-east-1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', reject);
    child.on('exit', () => resolve(text));
  });
  const r = JSON.parse(out.trim()) as { rc: number; ms: number; maxRssBytes: number; cpuSeconds: number; stderr: string };
  if (r.rc !== 0) throw new Error(`aws s3 cp failed (${r.rc}): ${r.stderr}`);
  // The CPU of the whole pipeline, curl included.
  return { ms: r.ms, maxRssBytes: r.maxRssBytes, cpuSeconds: r.cpuSeconds };
}
