/**
 * A time-skipping Temporal test environment on the Java test server that
 * `scripts/infra.sh install test-server` installs (cached in ~/.cache/seedance-flow), never
 * the SDK's download. The first test file on a machine without it installs it (Maven
 * Central, ~10 s, once; infra.sh serializes concurrent installs and skips a done one).
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, makeTelemetryFilterString, type LogLevel } from '@temporalio/worker';
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const INFRA = path.resolve(__dirname, '../../scripts/infra.sh');

/** The wrapper infra.sh writes; TEMPORAL_TEST_SERVER_PATH points elsewhere if you must. */
export function testServerPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TEMPORAL_TEST_SERVER_PATH) return env.TEMPORAL_TEST_SERVER_PATH;
  const cache = env.SEEDANCE_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'seedance-flow');
  return path.join(cache, 'bin', 'temporal-test-server');
}

let installed: Promise<string> | undefined;

/** Installs the test server unless it is there already (a stamp check when it is). */
export function ensureTestServer(): Promise<string> {
  if (process.env.TEMPORAL_TEST_SERVER_PATH) return Promise.resolve(process.env.TEMPORAL_TEST_SERVER_PATH);
  installed ??= promisify(execFile)('bash', [INFRA, 'install', 'test-server'], { timeout: 300_000 }).then(
    () => testServerPath(),
    (err: Error & { stderr?: string }) => {
      throw new Error(
        `could not install the Temporal test server with scripts/infra.sh install test-server:\n${err.stderr ?? err.message}`,
      );
    },
  );
  return installed;
}

/**
 * Test output shows errors only, the SDK core's too (it warns that the test server lacks
 * newer capabilities, and about completions of attempts the tests let time out on purpose);
 * SEEDANCE_TEST_LOG=INFO shows the workers' logs.
 */
export function quietRuntime(): void {
  const level = (process.env.SEEDANCE_TEST_LOG as LogLevel | undefined) ?? 'ERROR';
  try {
    Runtime.install({
      logger: new DefaultLogger(level),
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: level, other: level }) } },
    });
  } catch {
    // installed already in this process
  }
}

/** A fresh time-skipping server for this test file (its clock is the file's alone). */
export async function startTimeSkipping(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const server = await ensureTestServer();
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: server } } });
}
