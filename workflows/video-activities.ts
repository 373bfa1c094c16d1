/**
 * The activities renderVideo calls, with their options: timeouts and who retries what. They
 * run on queues derived from the workflow's own (common/task-queues.ts).
 */
import { proxyActivities, workflowInfo, type RetryPolicy } from '@temporalio/workflow';
import type { SeedanceActivities } from '../activities/seedance/activities';
import type { CopyActivities } from '../activities/storage/activities';
import { NON_RETRYABLE_TYPES } from '../common/errors';
import { CREATE_TASK_HEARTBEAT_TIMEOUT_MS, CREATE_TASK_START_TO_CLOSE_MS, submitAttemptActivityId } from '../common/submit-attempt';
import { copyTaskQueue, providerTaskQueue } from '../common/task-queues';

/** Reads are idempotent: Temporal retries them with backoff (Retry-After via nextRetryDelay). */
const READ_RETRY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: 6,
  nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
};

function activitiesOn(workflowQueue: string) {
  const provider = providerTaskQueue(workflowQueue);
  return {
    // The submit is never retried by Temporal: a timed-out attempt may have been accepted.
    // The workflow retries it itself, and only on failures where nothing was accepted. The
    // short heartbeat timeout makes a dead worker visible in seconds; the attempt's
    // submitSending signal says whether its request had left (common/submit-attempt.ts).
    // One proxy per attempt, so that each attempt has an activity id the signal can name.
    createTaskAttempt: (attempt: number) =>
      proxyActivities<SeedanceActivities>({
        taskQueue: provider,
        activityId: submitAttemptActivityId(attempt),
        startToCloseTimeout: CREATE_TASK_START_TO_CLOSE_MS,
        heartbeatTimeout: CREATE_TASK_HEARTBEAT_TIMEOUT_MS,
        retry: { maximumAttempts: 1 },
      }).createTask,
    // Renders started before createTask existed replay and finish with the old call.
    ...pickActivity(
      proxyActivities<SeedanceActivities>({ taskQueue: provider, startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 1 } }),
      'submitTask',
    ),
    // Reads are idempotent: Temporal retries them with backoff (Retry-After via nextRetryDelay).
    ...pickActivity(
      proxyActivities<SeedanceActivities>({
        taskQueue: provider,
        startToCloseTimeout: '30 seconds',
        retry: READ_RETRY,
      }),
      'getTask',
    ),
    // The task-list lookup after an ambiguous submit: a read, retried like getTask.
    ...pickActivity(
      proxyActivities<SeedanceActivities>({
        taskQueue: provider,
        startToCloseTimeout: '2 minutes',
        retry: READ_RETRY,
      }),
      'findTask',
    ),
    ...pickActivity(
      proxyActivities<SeedanceActivities>({
        taskQueue: provider,
        startToCloseTimeout: '30 seconds',
        retry: { maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
      }),
      'cancelTask',
    ),
    // Long-running and heartbeating on a timer: a dead worker is noticed within the
    // heartbeat timeout, and the copy starts again elsewhere.
    ...pickActivity(
      proxyActivities<CopyActivities>({
        taskQueue: copyTaskQueue(workflowQueue),
        startToCloseTimeout: '2 hours',
        heartbeatTimeout: '15 seconds',
        retry: {
          initialInterval: '5 seconds',
          backoffCoefficient: 2,
          maximumInterval: '2 minutes',
          maximumAttempts: 10,
          nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
        },
      }),
      'copyToStorage',
    ),
  };
}

function pickActivity<T extends object, K extends keyof T>(proxy: T, name: K): Pick<T, K> {
  return { [name]: proxy[name] } as Pick<T, K>;
}

/** The activity stubs for this execution's task queue (cheap proxies; no module-level state in workflows). */
export function videoActivities(): ReturnType<typeof activitiesOn> {
  return activitiesOn(workflowInfo().taskQueue);
}
