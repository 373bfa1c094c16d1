/**
 * The storage activities, built around a backend chosen by configuration.
 */
import { createCopyActivity, type CopyDeps } from './copy';

export function createStorageActivities(deps: CopyDeps) {
  return { ...createCopyActivity(deps) };
}

export type CopyActivities = ReturnType<typeof createStorageActivities>;
