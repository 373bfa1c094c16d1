/**
 * Task queue layout. Workflows run on the queue they were started on; their provider calls
 * and copies go to two queues derived from it, so a deployment can rate-limit provider
 * calls globally (maxTaskQueueActivitiesPerSecond applies to a whole queue, across workers)
 * and size copy workers apart, while callers only ever name one queue.
 */
export const providerTaskQueue = (workflowQueue: string) => `${workflowQueue}-provider`;
export const copyTaskQueue = (workflowQueue: string) => `${workflowQueue}-copy`;

export const WORKER_ROLES = ['workflows', 'provider', 'copy'] as const;
export type WorkerRole = (typeof WORKER_ROLES)[number];
