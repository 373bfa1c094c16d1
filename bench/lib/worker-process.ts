/**
 * A seedance-flow worker in a child process (`seedance-flow worker`, exactly what users run),
 * so its memory and CPU can be read from /proc apart from the simulator and the benchmark.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, TMP_DIR, log, sleep } from './util';
import { seedanceBundlerOptions } from '../../workers/bundle-options';

let bundle: Promise<string> | undefined;

/** Bundles workflows/ once per invocation, as `npm run build` does for production workers. */
export function workflowBundle(): Promise<string> {
  bundle ??= (async () => {
    const t0 = Date.now();
    const noop = () => undefined;
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(ROOT, 'workflows'),
      ...seedanceBundlerOptions(),
      logger: { trace: noop, debug: noop, info: noop, warn: noop, error: (m: string) => log(`bundler: ${m}`), log: noop },
    });
    mkdirSync(TMP_DIR, { recursive: true });
    const file = path.join(TMP_DIR, `workflow-bundle-${process.pid}.js`);
    writeFileSync(file, code);
    log(`workflow bundle built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return file;
  })();
  return bundle;
}

export interface WorkerProcess {
  pid: number;
  child: ChildProcess;
  output(): string;
  /** SIGTERM (graceful shutdown), then waits for the exit; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export async function startWorkerProcess(env: Record<string, string | undefined>): Promise<WorkerProcess> {
  // e.g. BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the worker
  // (Node refuses --cpu-prof in NODE_OPTIONS).
  const nodeArgs = (process.env.BENCH_WORKER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'bin/seedance-flow.js'), 'worker'], {
    env: { ...env, SEEDANCE_WORKFLOW_BUNDLE: await workflowBundle() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const deadline = Date.now() + 90_000;
  while (!/seedance-flow worker: task queue/.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the worker did not start:\n${out.slice(-4000)}`);
    }
    await sleep(100);
  }
  const pid = child.pid as number;
  return {
    pid,
    child,
    output: () => out,
    async stop(graceMs = 20_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
