/**
 * Cross-namespace Nexus for integration tests: the caller namespace scripts/infra.sh creates,
 * and endpoints created and deleted through the same script a person would use, against the
 * servers of the test run's state dir (SEEDANCE_STATE_DIR, which scripts/test.sh exports).
 */
import type { Client } from '@temporalio/client';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

/** Another team's namespace: `scripts/infra.sh up` creates it beside `default`. */
export const CALLER_NAMESPACE = 'team-a';

const INFRA = path.resolve(__dirname, '../../scripts/infra.sh');

async function infra(...args: string[]): Promise<void> {
  await promisify(execFile)('bash', [INFRA, ...args], { env: process.env, timeout: 60_000 });
}

/**
 * An endpoint routing to `taskQueue` in `namespace` (created, or retargeted if it exists), made
 * by the script, then looked up through `client`: the script works on the servers of the state
 * dir, and a test pointed at other servers must say so instead of waiting for calls that never come.
 */
export async function createNexusEndpoint(client: Client, name: string, taskQueue: string, namespace: string): Promise<void> {
  await infra('nexus-endpoint', name, taskQueue, namespace);
  const found = await client.connection.operatorService.listNexusEndpoints({ name, pageSize: 1 });
  if (!found.endpoints?.length) {
    throw new Error(
      `scripts/infra.sh created the Nexus endpoint ${name} on the servers of SEEDANCE_STATE_DIR (${process.env.SEEDANCE_STATE_DIR ?? '.infra'}), ` +
        `not on the Temporal server this test talks to (${process.env.TEMPORAL_ADDRESS}); run it through \`npm test\``,
    );
  }
}

export function deleteNexusEndpoint(name: string): Promise<void> {
  return infra('nexus-endpoint-delete', name);
}
