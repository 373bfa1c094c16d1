/**
 * A real worker in a child process (`seedance-flow worker`), so tests can SIGKILL it or
 * measure its memory the way the kernel sees it.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from './harness';
import { seedanceBundlerOptions } from '../../workers/bundle-options';

const ROOT = path.resolve(__dirname, '../..');
let bundlePath: string | undefined;

/** Bundles workflows/ once per test file, as `npm run build` does for production workers. */
export async function workflowBundlePath(): Promise<string> {
  if (!bundlePath) {
    const { code } = await bundleWorkflowCode({
      workflowsPath: path.join(ROOT, 'workflows'),
      ...seedanceBundlerOptions(),
      logger: quietLogger,
    });
    bundlePath = path.join(mkdtempSync(path.join(os.tmpdir(), 'sf-bundle-')), 'workflow-bundle.js');
    writeFileSync(bundlePath, code);
  }
  return bundlePath;
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves once the worker has connected and started polling. */
  ready(): Promise<void>;
  /** Exit code or signal once it has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `prebuilt`: run dist/ as built by `npm run build`, with its own workflow bundle. */
export async function spawnWorker(env: Record<string, string | undefined>, opts: { prebuilt?: boolean } = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/seedance-flow.js'), 'worker'], {
    // The simulator serves its videos from 127.0.0.1, which production settings refuse to
    // fetch: test workers opt in, as the README's local-development switch says.
    env: {
      SEEDANCE_ALLOW_PRIVATE_NETWORK: 'true',
      ...env,
      ...(opts.prebuilt ? {} : { SEEDANCE_WORKFLOW_BUNDLE: await workflowBundlePath() }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    output: () => out,
    exited,
    ready: async () => {
      await waitFor(
        'the worker to start',
        () => out,
        (o) => /seedance-flow worker: task queue/.test(o) || child.exitCode !== null,
        60_000,
      );
      if (child.exitCode !== null) throw new Error(`worker exited early:\n${out}`);
    },
  };
}

// The /proc readers the benchmark uses too: one implementation of VmRSS/VmHWM and the peak reset.
export { memoryOf, resetPeak } from './procfs';
