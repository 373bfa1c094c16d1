/**
 * One shot of a storyboard: its renderVideo child, started with the storyboard's options,
 * until it ends stored or failed. Insufficient balance pauses the storyboard and holds the
 * shot until it is resumed; nothing was accepted, so the shot is simply started again.
 */
import { CancellationScope, condition, executeChild } from '@temporalio/workflow';
import { TypedSearchAttributes } from '@temporalio/common';
import { temporalPriority } from '../common/admission';
import { FailureType } from '../common/errors';
import { ShotIdKey, StoryboardIdKey } from '../common/search-attributes';
import { shotWorkflowId, storyboardKeys, type ManifestEntry, type ParsedStoryboardInput } from '../common/storyboard';
import { describeChildFailure, storedEntry } from './child-failure';
import { renderVideo } from './render-video';
import type { StoryboardRun } from './storyboard-run';

/** What a shot needs from its storyboard. */
export interface ShotContext {
  storyboardId: string;
  input: Pick<ParsedStoryboardInput, 'shotTaskQueue' | 'schedule' | 'searchAttributes' | 'admission'>;
  run: StoryboardRun;
  /** Records the shot's outcome (`fresh`: rendered by this run). */
  finish: (index: number, entry: ManifestEntry, fresh: boolean) => void;
}

/** Renders the shot at `index` as a child until it is stored or failed, and records its outcome through `ctx.finish`. */
export async function runShot(
  ctx: ShotContext,
  index: number,
  shotId: string,
  shot: Parameters<typeof renderVideo>[0]['shot'],
): Promise<void> {
  const { storyboardId, input, run } = ctx;
  const workflowId = shotWorkflowId(storyboardId, shotId);
  // Every shot asks the account's limiter, in the storyboard's fairness group, at its priority.
  const admission = input.admission ? { ...input.admission, group: input.admission.group ?? storyboardId } : undefined;
  run.idByWorkflow.set(workflowId, shotId);
  for (;;) {
    run.shots[shotId] = 'pending';
    try {
      const result = await executeChild(renderVideo, {
        workflowId,
        ...(input.shotTaskQueue ? { taskQueue: input.shotTaskQueue } : {}),
        args: [
          {
            shot,
            storageKey: storyboardKeys.video(storyboardId, shotId),
            ...(input.schedule ? { schedule: input.schedule } : {}),
            notifyParent: true,
            ...(admission ? { admission } : {}),
          },
        ],
        // Temporal's own task priority and fairness follow the storyboard's.
        ...(admission ? { priority: temporalPriority(admission.priority, admission.group) } : {}),
        ...(input.searchAttributes
          ? {
              typedSearchAttributes: new TypedSearchAttributes([
                { key: StoryboardIdKey, value: storyboardId },
                { key: ShotIdKey, value: shotId },
              ]),
            }
          : {}),
        // A re-run renders again what is missing; stored shots never reach this point.
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        // Stopping the storyboard cancels its shots, which cancel their provider tasks.
        parentClosePolicy: 'REQUEST_CANCEL',
      });
      ctx.finish(index, storedEntry(shotId, result), true);
      return;
    } catch (err) {
      const why = describeChildFailure(err);
      if (why.type === FailureType.InsufficientBalance) {
        // Nothing was accepted: hold this shot, stop launching others, and try it again on resume.
        run.pause('insufficient balance: top up, then resume');
        await condition(() => !run.carry.paused);
        continue;
      }
      // The storyboard itself is being cancelled: let it end cancelled. A shot cancelled on
      // its own is just a failed shot.
      if (why.type === FailureType.Cancelled && CancellationScope.current().consideredCancelled) throw err;
      ctx.finish(index, { shotId, status: 'failed', ...why.entry }, true);
      return;
    }
  }
}
