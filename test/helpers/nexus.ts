/**
 * Cross-namespace Nexus for integration tests: the caller namespace scripts/infra.sh creates,
 * and endpoints created and deleted through the same script a person would use, against the
 * servers of the test run's state dir (SEEDANCE_STATE_DIR, which scripts/test.sh exports).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

/** Another team's namespace: `scripts/infra.sh up` creates it beside `default`. */
export const CALLER_NAMESPACE = 'team-a';

const INFRA = path.resolve(__dirname, '../../scripts/infra.sh');

async function infra(...args: string[]): Promise<void> {
  await promisify(execFile)('bash', [INFRA, ...args], { env: process.env, timeout: 60_000 });
}

/** An endpoint routing to `taskQueue` in `namespace` (created, or retargeted if it exists). */
export function createNexusEndpoint(name: string, taskQueue: string, namespace: string): Promise<void> {
  return infra('nexus-endpoint', name, taskQueue, namespace);
}

export function deleteNexusEndpoint(name: string): Promise<void> {
  return infra('nexus-endpoint-delete', name);
}
