/**
 * One shot of a storyboard: its renderVideo child, started with the storyboard's options,
 * until it ends stored or failed. Insufficient balance pauses the storyboard and holds the
 * shot until it is resumed; nothing was accepted, so the shot is simply started again.
 * With `on_audio_policy: retry_silent`, a shot blocked only for its generated audio is
 * rendered once more without sound, by a second child (a second paid task).
 */
import { CancellationScope, condition, executeChild } from '@temporalio/workflow';
import { TypedSearchAttributes } from '@temporalio/common';
import { temporalPriority } from '../common/admission';
import { FailureType } from '../common/errors';
import { ShotIdKey, StoryboardIdKey } from '../common/search-attributes';
import {
  shotWorkflowId,
  silentShotWorkflowId,
  storyboardKeys,
  type ManifestEntry,
  type ParsedStoryboardInput,
  type SilentRetry,
} from '../common/storyboard';
import { describeChildFailure, storedEntry } from './child-failure';
import { renderVideo } from './render-video';
import type { StoryboardRun } from './storyboard-run';

type Shot = Parameters<typeof renderVideo>[0]['shot'];

/** What a shot needs from its storyboard. */
export interface ShotContext {
  storyboardId: string;
  input: Pick<ParsedStoryboardInput, 'shotTaskQueue' | 'schedule' | 'searchAttributes' | 'admission' | 'onAudioPolicy'>;
  run: StoryboardRun;
  /** Records the shot's outcome (`fresh`: rendered by this run). */
  finish: (index: number, entry: ManifestEntry, fresh: boolean) => void;
  /**
   * Before a second paid task for the shot (its silent retry): settles the first attempt on
   * its own outcome (`first`), and reserves `shot`'s estimate against the budget, which may
   * pause the storyboard until it fits. Its settlement at `finish` is by `shot`.
   */
  relaunch: (shotId: string, first: ManifestEntry, shot: Shot) => Promise<void>;
}

/**
 * How a storyboard starts one renderVideo child of a shot (a final, a draft, a silent retry):
 * the storyboard's admission, priority, search attributes and close policy.
 */
export function shotChildOptions(
  ctx: Pick<ShotContext, 'storyboardId' | 'input'>,
  shotId: string,
  workflowId: string,
  shot: Shot,
  storageKey: string,
) {
  const { storyboardId, input } = ctx;
  // Every shot asks the account's limiter, in the storyboard's fairness group, at its priority.
  const admission = input.admission ? { ...input.admission, group: input.admission.group ?? storyboardId } : undefined;
  return {
    workflowId,
    ...(input.shotTaskQueue ? { taskQueue: input.shotTaskQueue } : {}),
    args: [
      {
        shot,
        storageKey,
        ...(input.schedule ? { schedule: input.schedule } : {}),
        notifyParent: true,
        ...(admission ? { admission } : {}),
      },
    ] as Parameters<typeof renderVideo>,
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
    workflowIdReusePolicy: 'ALLOW_DUPLICATE' as const,
    // Stopping the storyboard cancels its shots, which cancel their provider tasks.
    parentClosePolicy: 'REQUEST_CANCEL' as const,
  };
}

/** Renders the shot at `index` as a child until it is stored or failed, and records its outcome through `ctx.finish`. */
export async function runShot(ctx: ShotContext, index: number, shotId: string, shot: Shot): Promise<void> {
  const { storyboardId, run } = ctx;
  let attempt = { workflowId: shotWorkflowId(storyboardId, shotId), shot };
  let silentRetry: SilentRetry | undefined;
  const withRetry = (entry: ManifestEntry): ManifestEntry => (silentRetry ? { ...entry, silentRetry } : entry);
  for (;;) {
    run.idByWorkflow.set(attempt.workflowId, shotId);
    run.shots[shotId] = 'pending';
    try {
      const result = await executeChild(
        renderVideo,
        shotChildOptions(ctx, shotId, attempt.workflowId, attempt.shot, storyboardKeys.video(storyboardId, shotId)),
      );
      ctx.finish(index, withRetry(storedEntry(shotId, result)), true);
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
      const failed: ManifestEntry = { shotId, status: 'failed', ...why.entry };
      // Checked first, and false without the option: storyboards without it issue exactly the commands they always did.
      if (!silentRetry && retriesSilent(ctx.input, attempt.shot, failed)) {
        silentRetry = {
          ...(failed.taskId ? { firstTaskId: failed.taskId } : {}),
          ...(failed.failureMessage ? { firstFailureMessage: failed.failureMessage } : {}),
        };
        attempt = { workflowId: silentShotWorkflowId(storyboardId, shotId), shot: { ...shot, generate_audio: false } };
        await ctx.relaunch(shotId, failed, attempt.shot);
        continue;
      }
      ctx.finish(index, withRetry(failed), true);
      return;
    }
  }
}

/**
 * Whether a failed shot gets its one silent retry: the storyboard asks for it, moderation
 * blocked the generated audio and nothing else (stage `output_audio`), and the render had
 * sound (without it, the same request would fail the same way).
 */
export function retriesSilent(input: Pick<ParsedStoryboardInput, 'onAudioPolicy'>, shot: Shot, failed: ManifestEntry): boolean {
  return (
    input.onAudioPolicy === 'retry_silent' &&
    failed.failureType === FailureType.ContentPolicyViolation &&
    failed.failureStage === 'output_audio' &&
    shot.generate_audio !== false
  );
}
