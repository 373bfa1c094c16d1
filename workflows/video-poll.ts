/**
 * Polling a submitted task on durable timers until it ends, by the poll schedule and its
 * deadline (common/poll-schedule.ts). A provider outage or a dead worker does not lose a paid task.
 */
import { ActivityFailure, TimeoutFailure, condition, log, sleep } from '@temporalio/workflow';
import type { TaskRef } from '../activities/seedance/activities';
import type { TaskSnapshot } from '../activities/seedance/types';
import { FailureType } from '../common/errors';
import type { ParentRef } from '../common/phase-events';
import { nextPollDelayMs, type PollSchedule } from '../common/poll-schedule';
import type { RenderVideoProgress } from '../common/render';
import { videoActivities } from './video-activities';
import { fail, providerFailure } from './video-failures';
import type { CallbackInbox } from './video-callbacks';

/**
 * Polls `task` until a terminal status; fails on the deadline or on `maxUnknown` unknown
 * statuses in a row. With `inbox` (the task calls back), each wait also ends when a callback
 * reports a terminal status, and the next GET confirms it: a callback is a hint, the GET is
 * the proof, and the schedule is the safety net for callbacks that never come.
 */
export async function pollUntilTerminal(
  task: TaskRef,
  schedule: PollSchedule,
  maxUnknown: number,
  progress: RenderVideoProgress,
  parent: ParentRef | undefined,
  inbox?: CallbackInbox,
): Promise<TaskSnapshot> {
  const acceptedAt = Date.now();
  let sawRunning = false;
  let unknownInARow = 0;
  for (let i = 0; ; i++) {
    const delay = nextPollDelayMs(schedule, i, Date.now() - acceptedAt);
    if (delay === null) {
      throw fail(
        progress,
        { type: FailureType.PollDeadlineExceeded, taskId: task.taskId },
        `task ${task.taskId} not finished after ${Math.round(schedule.deadlineMs / 1000)} s (last status ${progress.lastRawStatus ?? 'none'}); query it later instead of resubmitting`,
      );
    }
    if (!inbox) await sleep(delay);
    else if (delay > 0 && (await condition(() => inbox.hasNews(), delay))) {
      log.info('callback reports an end; confirming with a GET', { taskId: task.taskId, statuses: inbox.takeNews() });
    }
    let snapshot: TaskSnapshot;
    try {
      // Only until the parent has heard "rendering": later polls have nothing to tell it.
      snapshot = await videoActivities().getTask(task, sawRunning ? undefined : parent);
    } catch (err) {
      const typed = providerFailure(err);
      const timedOut = err instanceof ActivityFailure && err.cause instanceof TimeoutFailure;
      // A provider outage or a dead worker during polling does not lose a paid task: keep
      // polling on the schedule until the deadline.
      if (timedOut || (typed && !typed.nonRetryable)) {
        log.warn('poll failed; will poll again', { taskId: task.taskId, type: typed?.type ?? 'timeout' });
        continue;
      }
      throw err;
    } finally {
      progress.polls++;
    }
    progress.lastStatus = snapshot.status;
    progress.lastRawStatus = snapshot.rawStatus;
    progress.heardFrom = 'poll';
    progress.lastHeardAt = Date.now();
    if (snapshot.status === 'unknown') {
      unknownInARow++;
      log.warn('unknown task status', { taskId: task.taskId, rawStatus: snapshot.rawStatus, unknownInARow });
      if (unknownInARow >= maxUnknown) {
        throw fail(
          progress,
          { type: FailureType.UnknownTaskStatus, taskId: task.taskId, rawStatus: snapshot.rawStatus },
          `task ${task.taskId} reported unknown status ${JSON.stringify(snapshot.rawStatus)} ${unknownInARow} times in a row`,
        );
      }
      continue;
    }
    unknownInARow = 0;
    if (snapshot.status === 'running') sawRunning = true;
    if (snapshot.status !== 'queued' && snapshot.status !== 'running') return snapshot;
  }
}
