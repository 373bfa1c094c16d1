/**
 * The storage activities, built around a backend chosen by configuration.
 */
import { copyTaskQueue, type ActivityRoleDeclaration } from '../../common/task-queues';
import { createCopyActivity, type CopyDeps } from './copy';

/** Streaming copies run on the copy role's queue, with their own concurrency cap. */
export const storageActivityRole = { role: 'copy', taskQueue: copyTaskQueue } as const satisfies ActivityRoleDeclaration;

export function createStorageActivities(deps: CopyDeps) {
  return { ...createCopyActivity(deps) };
}

export type CopyActivities = ReturnType<typeof createStorageActivities>;
