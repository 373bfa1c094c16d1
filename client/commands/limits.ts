/**
 * `seedance-flow limits [--json]`: what the account's limiter holds right now (its query).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { parseArgs } from 'node:util';
import { limiterWorkflowId, LIMITS_QUERY, type LimitsView } from '../../common/admission';
import { loadConfig } from '../../common/config';
import { boundedJson, terminalText as t } from '../../common/terminal-text';
import { connectClient } from '../../temporal/connection';
import { UsageError } from '../usage-error';

/**
 * The account's limits, or undefined when no limiter runs (no render has asked yet).
 *
 * @example
 *   const view = await accountLimits(client, 'default');
 *   console.log(view?.leases, view?.models);
 */
export async function accountLimits(client: Client, account: string): Promise<LimitsView | undefined> {
  try {
    return await client.workflow.getHandle(limiterWorkflowId(account)).query<LimitsView>(LIMITS_QUERY);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

export async function limitsCommand(args: string[]): Promise<number> {
  let json = false;
  try {
    json = Boolean(parseArgs({ args, options: { json: { type: 'boolean' } }, strict: true }).values.json);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const config = loadConfig(process.env);
  const client = await connectClient(config);
  try {
    const view = await accountLimits(client, config.SEEDANCE_ACCOUNT);
    if (json) {
      console.log(boundedJson({ account: config.SEEDANCE_ACCOUNT, running: view !== undefined, ...(view ?? {}) }));
      return 0;
    }
    console.log(formatLimits(config.SEEDANCE_ACCOUNT, view));
    return 0;
  } finally {
    await client.connection.close();
  }
}

/** The human view: one line per model, one per waiting group. */
export function formatLimits(account: string, view: LimitsView | undefined): string {
  if (!view) return `account ${t(account)}: no limiter running (no render has asked for a lease yet)`;
  const lines = [
    `account ${t(account)}: ${view.leases} lease(s) held of at most ${view.config.maxQueued} queued; ${view.config.maxActivePerModel} active per model`,
  ];
  for (const [model, m] of Object.entries(view.models)) {
    const cool = m.coolUntil && m.coolUntil > Date.now() ? `, cooling down ${Math.ceil((m.coolUntil - Date.now()) / 1000)} s` : '';
    lines.push(`  ${t(model)}: ${m.leases} held, limit ${m.limit}/${m.max}, ${m.waiting} waiting, ${m.throttles} 429s${cool}`);
  }
  const groups = Object.entries(view.waitingByGroup);
  lines.push(groups.length ? 'waiting shots:' : 'no shot waiting');
  for (const [group, n] of groups) lines.push(`  ${t(group)}: ${n}`);
  lines.push(`granted ${view.granted}, reclaimed ${view.reclaimed}`);
  return lines.join('\n');
}
