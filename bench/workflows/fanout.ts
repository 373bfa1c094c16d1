/**
 * A diagnostic parent for the benchmark, not part of seedance-flow: what a user's own
 * workflow does when it fans renderVideo children out through a sliding window, as the
 * README's "Using seedance-flow from your own workflows" shows. No phase signals, no paging,
 * no manifest: set beside renderStoryboard, it shows what the storyboard's own bookkeeping costs.
 */
import { condition, executeChild, workflowInfo } from '@temporalio/workflow';
import type { PollScheduleInput } from '../../common/poll-schedule';
import type { renderVideo } from '../../workflows';

export interface FanoutInput {
  shots: Array<{ id: string; prompt: string }>;
  window: number;
  schedule: PollScheduleInput;
  /** The seedance-flow worker's task queue, where the renderVideo children run. */
  taskQueue: string;
  /** Children's activities signal their phases to this parent, as for a storyboard (nobody handles them here). */
  notifyParent?: boolean;
}

export async function benchFanout(input: FanoutInput): Promise<{ stored: number; failed: number }> {
  const parent = workflowInfo().workflowId;
  let inFlight = 0;
  let stored = 0;
  let failed = 0;
  const runs: Promise<void>[] = [];
  for (const shot of input.shots) {
    await condition(() => inFlight < input.window);
    inFlight++;
    runs.push(
      executeChild<typeof renderVideo>('renderVideo', {
        taskQueue: input.taskQueue,
        workflowId: `${parent}/${shot.id}`,
        args: [
          {
            shot: { prompt: shot.prompt, duration: 5 },
            schedule: input.schedule,
            storageKey: `${parent}/${shot.id}.mp4`,
            notifyParent: input.notifyParent ?? false,
          },
        ],
        parentClosePolicy: 'REQUEST_CANCEL',
      })
        .then(
          () => void stored++,
          () => void failed++,
        )
        .finally(() => void inFlight--),
    );
  }
  await Promise.all(runs);
  return { stored, failed };
}
