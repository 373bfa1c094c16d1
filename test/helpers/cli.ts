/**
 * Runs `seedance-flow` as a user does: a child process configured by environment variables,
 * pointed at a test harness (its simulator, task queue and bucket prefix).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { TEST_API_KEY, type Harness } from './harness';

const run = promisify(execFile);
const BIN = path.resolve(__dirname, '../../bin/seedance-flow.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(h: Harness, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: {
        ...process.env,
        GPTPROTO_API_KEY: TEST_API_KEY,
        SEEDANCE_API_BASE_URL: h.sim.url,
        SEEDANCE_TASK_QUEUE: h.config.SEEDANCE_TASK_QUEUE,
        STORAGE_URL: h.config.STORAGE_URL,
        SEEDANCE_ACCOUNT: h.config.SEEDANCE_ACCOUNT,
        SEEDANCE_POLL_INITIAL_MS: '300',
        SEEDANCE_POLL_MAX_INTERVAL_MS: '800',
        ...env,
      },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
