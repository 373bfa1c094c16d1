/**
 * Workflow bundles for tests, built once per jest run and shared by every test file that
 * asks for the same one (webpack takes 5-10 s on 2 cores; a bundle per file would cost
 * that per file).
 *
 * The jest global setup (test/helpers/jest-global-setup.js) makes a scratch directory for
 * this run and names it in SEEDANCE_TEST_BUNDLE_DIR. The first test file to ask for a bundle
 * builds it there under a lock file; the others, in other jest workers, wait for the file to
 * appear. Without that variable (a file run by a bare ts-node, say) each process bundles
 * for itself. Nothing outlives the run, so a bundle is never stale.
 */
import { bundleWorkflowCode } from '@temporalio/worker';
import { existsSync, mkdirSync, openSync, closeSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seedanceBundlerOptions } from '../../workers/bundle-options';

export const BUNDLE_DIR_ENV = 'SEEDANCE_TEST_BUNDLE_DIR';

/** The bundles tests use, by name: the product's workflows, and fixtures that differ on purpose. */
export const BUNDLES = {
  /** workflows/index.ts, as the worker bundles it. */
  workflows: path.resolve(__dirname, '../../workflows'),
  /** renderVideo with one extra timer before it starts: must fail replay (test/unit/replay.test.ts). */
  'changed-render-video': path.resolve(__dirname, '../fixtures/changed-workflows/render-video.ts'),
} as const;
export type BundleName = keyof typeof BUNDLES;

const WAIT_MS = 180_000;
const inProcess = new Map<BundleName, Promise<string>>();

/** Path of the named bundle's code, ready for `workflowBundle: { codePath }`. */
export function workflowBundlePath(name: BundleName = 'workflows'): Promise<string> {
  let pending = inProcess.get(name);
  if (!pending) {
    pending = sharedBundle(name);
    inProcess.set(name, pending);
  }
  return pending;
}

async function sharedBundle(name: BundleName): Promise<string> {
  const dir = process.env[BUNDLE_DIR_ENV] ?? path.join(os.tmpdir(), `seedance-flow-bundles-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.js`);
  const lock = `${file}.lock`;
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    if (existsSync(file)) return file;
    if (tryLock(lock)) {
      try {
        if (!existsSync(file)) await build(name, file);
        return file;
      } finally {
        rmSync(lock, { force: true });
      }
    }
    // Another jest worker is building it.
    if (Date.now() > deadline) throw new Error(`no ${name} workflow bundle at ${file} after ${WAIT_MS / 1000} s (a stuck lock ${lock}?)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function tryLock(lock: string): boolean {
  try {
    closeSync(openSync(lock, 'wx'));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

async function build(name: BundleName, file: string): Promise<void> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: BUNDLES[name],
    // As the worker bundles them (workers/bundle-options.ts): zod and the schema cache preloaded.
    ...seedanceBundlerOptions(),
    // webpack's progress is noise in test output; errors still throw.
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m, meta) => console.error(m, meta) },
  });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, code);
  renameSync(tmp, file);
}
