/**
 * How renderVideo fails: every render ends in one typed, non-retryable ApplicationFailure
 * (common/errors.ts), built by {@link fail}; the rest decides what an activity's failure
 * means for the render.
 */
import { ActivityFailure, ApplicationFailure, TimeoutFailure, log, metricMeter } from '@temporalio/workflow';
import type { TaskSnapshot } from '../activities/seedance/types';
import { contentPolicyStage } from '../common/content-policy';
import { FailureType, failure, isContentPolicyCode, isRetryable, type FailureDetails, type FailureTypeName } from '../common/errors';
import type { RenderVideoProgress } from '../common/render';
import { shotContext } from './video-context';

/** The typed ApplicationFailure inside an activity failure, if the activity raised one. */
export function providerFailure(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause;
  return undefined;
}

/** The FailureDetails an activity's failure carries as `details[0]`, if any. */
export function failureDetails(appFailure: ApplicationFailure): FailureDetails | undefined {
  const d = appFailure.details?.[0];
  return d && typeof d === 'object' ? (d as FailureDetails) : undefined;
}

/**
 * The failure that ends the render: counted, logged, shown by the progress query, and
 * non-retryable whatever the table says of its type (the render is over either way).
 */
export function fail(progress: RenderVideoProgress, details: FailureDetails, message: string): ApplicationFailure {
  metricMeter
    .createCounter('seedance_render_failures', 'renders', 'renders that ended failed, by failure type')
    .add(1, { type: details.type });
  log.warn('render failed', { type: details.type, ...(details.taskId ? { taskId: details.taskId } : {}), ...shotContext() });
  progress.phase = 'failed';
  progress.failure = { type: details.type, message: `${details.type}: ${message}` };
  return failure(details.type, message, details, { nonRetryable: true });
}

/** Re-raises an activity's typed failure as the workflow's own, with the task id attached. */
export function asWorkflowFailure(err: unknown, progress: RenderVideoProgress): unknown {
  if (err instanceof ApplicationFailure && progress.phase === 'failed') return err;
  const typed = providerFailure(err);
  if (!typed?.type) return err;
  const details: FailureDetails = {
    ...(failureDetails(typed) ?? {}),
    type: typed.type as FailureType,
    ...(progress.taskId ? { taskId: progress.taskId } : {}),
  };
  return fail(progress, details, typed.message.replace(new RegExp(`^${typed.type}: `), ''));
}

/** A submit attempt whose request left and got no usable answer: its task may exist and be billed. */
export interface AmbiguousSubmit {
  reason: string;
  /** When the request left (from its submitSending signal), if known. */
  sentAt?: number;
}

export type SubmitJudgement = { retry: { type: FailureTypeName; hintMs?: number } } | { ambiguous: AmbiguousSubmit };

/** Failure types of a submit whose request went out: the outcome is unknown, never resubmitted blindly. */
const AMBIGUOUS_TYPES: readonly string[] = [FailureType.SubmitOutcomeUnknown, FailureType.ResponseTooLarge];

/**
 * Decides what a failed submit attempt means: retry (nothing can have been accepted),
 * ambiguous (the request left; the task may exist), or the end (thrown).
 * `sentAt`: when the attempt announced its request (null: it never did; undefined: an old
 * history, which cannot tell). `reconciles`: histories from before reconciliation end an
 * ambiguous attempt at once as SubmitOutcomeUnknown, as they always did.
 */
export function judgeSubmitFailure(
  err: unknown,
  sentAt: number | null | undefined,
  progress: RenderVideoProgress,
  reconciles = false,
): SubmitJudgement {
  const ambiguous = (a: AmbiguousSubmit): SubmitJudgement => {
    if (reconciles) return { ambiguous: a };
    throw fail(progress, { type: FailureType.SubmitOutcomeUnknown }, a.reason);
  };
  if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) {
    if (sentAt !== null) {
      // The worker died or hung while the POST may have been on the wire.
      return ambiguous({
        reason: `the submit attempt stopped ${sentAt !== undefined ? `while its request was in flight (sent at ${new Date(sentAt).toISOString()})` : 'without an answer'}; the task may exist and be billed, so it is not resubmitted`,
        ...(sentAt !== undefined ? { sentAt } : {}),
      });
    }
    // The attempt never announced its request, so none left: trying again cannot pay twice.
    log.warn('submit attempt stopped before its request left; retrying', { timeoutType: String(err.cause.timeoutType) });
    return { retry: { type: FailureType.SubmitNotSent } };
  }
  const typed = providerFailure(err);
  if (!typed) throw err;
  if (reconciles && AMBIGUOUS_TYPES.includes(typed.type ?? '')) {
    return ambiguous({ reason: typed.message, ...(typeof sentAt === 'number' ? { sentAt } : {}) });
  }
  // An older worker without createTask during a rolling upgrade: it refused before doing anything.
  if (typed.type === FailureType.NotFoundError) return { retry: { type: FailureType.SubmitNotSent } };
  if (typed.nonRetryable || !isRetryable(typed.type ?? '')) throw err;
  const hintMs = failureDetails(typed)?.nextRetryDelayMs;
  return { retry: { type: typed.type ?? FailureType.Error, ...(hintMs !== undefined ? { hintMs } : {}) } };
}

/** The terminal snapshot of a task that succeeded with a video URL; any other end fails the render, typed. */
export function checkSucceeded(snapshot: TaskSnapshot, progress: RenderVideoProgress): TaskSnapshot & { videoUrl: string } {
  const base = {
    taskId: snapshot.taskId,
    ...(snapshot.error?.code ? { providerCode: snapshot.error.code } : {}),
    ...(snapshot.error?.message ? { providerMessage: snapshot.error.message } : {}),
  };
  const reason = snapshot.error ? `: ${[snapshot.error.code, snapshot.error.message].filter(Boolean).join(': ')}` : '';
  switch (snapshot.status) {
    case 'succeeded':
      if (!snapshot.videoUrl) {
        const why = snapshot.outputUrlRefused
          ? `succeeded, but its video URL was refused: ${snapshot.outputUrlRefused}`
          : 'succeeded without a video URL';
        throw fail(progress, { type: FailureType.InvalidOutputUrl, ...base }, `task ${snapshot.taskId} ${why}`);
      }
      return { ...snapshot, videoUrl: snapshot.videoUrl };
    case 'failed': {
      const policy = isContentPolicyCode(snapshot.error?.code) || isContentPolicyCode(snapshot.error?.message);
      const type = policy ? FailureType.ContentPolicyViolation : FailureType.TaskFailed;
      // Only data in the failure's details: the commands of the render (and of histories recorded before) are unchanged.
      const stage = policy ? { stage: contentPolicyStage(snapshot.error?.code, snapshot.error?.message) } : {};
      throw fail(progress, { type, ...base, ...stage }, `task ${snapshot.taskId} failed${reason}`);
    }
    case 'expired':
      throw fail(progress, { type: FailureType.TaskExpired, ...base }, `task ${snapshot.taskId} expired before it ran${reason}`);
    default:
      throw fail(progress, { type: FailureType.TaskCancelled, ...base }, `task ${snapshot.taskId} was cancelled at the provider`);
  }
}
