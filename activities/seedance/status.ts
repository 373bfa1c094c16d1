import type { TaskStatus } from './types';

/**
 * Gateways rename the tasks family's statuses (docs/provider/notes.md, "Statuses"); everything maps onto the
 * six real states. An unmapped word becomes `unknown` so the workflow can report it by name
 * instead of crashing.
 */
const STATUS_ALIASES: Record<string, TaskStatus> = {
  queued: 'queued',
  created: 'queued',
  pending: 'queued',
  submitted: 'queued',
  waiting: 'queued',
  running: 'running',
  processing: 'running',
  in_progress: 'running',
  generating: 'running',
  succeeded: 'succeeded',
  completed: 'succeeded',
  success: 'succeeded',
  failed: 'failed',
  failure: 'failed',
  error: 'failed',
  expired: 'expired',
  cancelled: 'cancelled',
  canceled: 'cancelled',
};

export function normalizeStatus(raw: string): TaskStatus {
  const word = raw
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  // Own keys only: `__proto__` or `constructor` from a provider must not reach Object.prototype.
  return Object.hasOwn(STATUS_ALIASES, word) ? (STATUS_ALIASES[word] as TaskStatus) : 'unknown';
}

export function isTerminal(status: TaskStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'expired' || status === 'cancelled';
}
