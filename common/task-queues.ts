/**
 * Task queue layout. Workflows run on the queue they were started on; their provider calls
 * and copies go to two queues derived from it, so a deployment can rate-limit provider
 * calls globally (maxTaskQueueActivitiesPerSecond applies to a whole queue, across workers)
 * and size copy workers apart, while callers only ever name one queue.
 */
export const workflowTaskQueue = (workflowQueue: string) => workflowQueue;
export const providerTaskQueue = (workflowQueue: string) => `${workflowQueue}-provider`;
export const copyTaskQueue = (workflowQueue: string) => `${workflowQueue}-copy`;

export const WORKER_ROLES = ['workflows', 'provider', 'copy'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];

/**
 * What one process can run (SEEDANCE_WORKER_ROLES): the Temporal worker roles above, and
 * `callbacks`, the HTTP receiver of provider callbacks, which polls no task queue.
 */
export const PROCESS_ROLES = [...WORKER_ROLES, 'callbacks'] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

/** The process roles that are Temporal workers. */
export function isWorkerRole(role: ProcessRole): role is WorkerRole {
  return (WORKER_ROLES as readonly string[]).includes(role);
}

/** The queue each worker role polls, from the one queue callers name (SEEDANCE_TASK_QUEUE). */
export const ROLE_TASK_QUEUES: Readonly<Record<WorkerRole, (workflowQueue: string) => string>> = {
  workflows: workflowTaskQueue,
  provider: providerTaskQueue,
  copy: copyTaskQueue,
};

/**
 * Where an activity factory's activities run: the worker role that registers them and the
 * task queue that role polls. Each factory exports one (e.g. `seedanceActivityRole`); the
 * worker registers activities from these declarations only (workers/activities.ts), and the
 * workflows schedule them on the same queue.
 */
export interface ActivityRoleDeclaration {
  readonly role: WorkerRole;
  readonly taskQueue: (workflowQueue: string) => string;
}
