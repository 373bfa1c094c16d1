/**
 * The production topology (`scripts/infra.sh up --topology production`: PostgreSQL and the
 * real Temporal server) as the topology tests see it. scripts/test-topology.sh brings it up
 * and exports its env file; this helper restarts the Temporal server the way an operator's
 * supervisor would after a crash: SIGKILL, then the same `up` (which reuses PostgreSQL and
 * starts the server again on the same ports and database).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './harness';

const ROOT = path.resolve(__dirname, '../..');
const run = promisify(execFile);

/** Bounded: `up` on a running PostgreSQL takes a few seconds; the health wait inside is 90 s. */
const UP_TIMEOUT_MS = 120_000;

export function topologyEnv(): { temporalAddress: string; serverPidFile: string } {
  const temporalAddress = process.env.TEMPORAL_ADDRESS;
  const serverPidFile = process.env.TEMPORAL_SERVER_PIDFILE;
  if (!temporalAddress || !serverPidFile) {
    throw new Error('topology tests need the production topology: run them through `npm run test:topology`');
  }
  return { temporalAddress, serverPidFile };
}

export function temporalServerPid(): number {
  const pid = Number(readFileSync(topologyEnv().serverPidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no Temporal server pid in ${topologyEnv().serverPidFile}`);
  return pid;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGKILLs the Temporal server process and brings it back with `infra.sh up --topology production`. */
export async function restartTemporalServer(log: (line: string) => void = () => undefined): Promise<void> {
  const pid = temporalServerPid();
  process.kill(pid, 'SIGKILL');
  // infra.sh spawned it detached (setsid), so it is not our child: watch the pid, reaped by init.
  await waitFor(
    `Temporal server pid ${pid} to exit`,
    () => alive(pid),
    (a) => !a,
    15_000,
    50,
  );
  log(`Temporal server pid ${pid} killed`);
  const { stderr } = await run('bash', [path.join(ROOT, 'scripts/infra.sh'), 'up', '--topology', 'production'], {
    cwd: ROOT,
    timeout: UP_TIMEOUT_MS,
    // Not recorded as started by this run: the server was up before the test killed it, so
    // whoever started it (this run or a person) is still the one to stop it.
    env: { ...process.env, SEEDANCE_INFRA_STARTED_FILE: '' },
  });
  if (!/started Temporal server/.test(stderr)) throw new Error(`infra.sh up did not start the Temporal server again:\n${stderr}`);
  log(`Temporal server back as pid ${temporalServerPid()}`);
}
