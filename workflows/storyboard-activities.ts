/**
 * The activities renderStoryboard calls, with their options. Page reads and outcome records
 * heartbeat while they work: a worker that dies mid-page is noticed in seconds (the
 * heartbeat timeout) and the page is read again elsewhere, instead of stalling every launch
 * for the start-to-close timeout.
 */
import { isCancellation, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ReportActivities } from '../activities/report/activities';
import type { StoryboardActivities } from '../activities/storyboard/activities';
import { copyTaskQueue } from '../common/task-queues';

/** Page reads, outcome records and the manifest: light work, on the storyboard's own task queue. */
export const { loadShotPage, recordOutcomes, writeManifest } = proxyActivities<StoryboardActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 20 },
});

/**
 * A storyboard handed over as a file or inline, read, checked and staged. Parsing a 10 MiB
 * file holds the worker's event loop for seconds, so its heartbeat timeout is a minute;
 * a store that cannot be reached is retried (StorageError), an invalid file is a result.
 */
export const { stageStoryboardSource } = proxyActivities<StoryboardActivities>({
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 20 },
});

/**
 * report.html beside the manifest (thumbnails via ffmpeg, on the copy queue). The videos and
 * the manifest are what users pay for; a report that cannot be made is logged, not fatal.
 */
export async function writeReportOrWarn(storyboardId: string, stagedPrefix: string, totalShots: number) {
  const { writeReport } = proxyActivities<ReportActivities>({
    taskQueue: copyTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '1 minute',
    retry: { initialInterval: '5 seconds', maximumInterval: '2 minutes', maximumAttempts: 5 },
  });
  try {
    return await writeReport({ storyboardId, stagedPrefix, totalShots });
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('report not written', { storyboardId, error: String(err) });
    return undefined;
  }
}
