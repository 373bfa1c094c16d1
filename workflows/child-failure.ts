/**
 * A shot's child renderVideo as a manifest line: the stored video, or the typed reason it
 * failed (common/errors.ts).
 */
import { ApplicationFailure, ChildWorkflowFailure } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { contentPolicyStage, isContentPolicyStage, type ContentPolicyStage } from '../common/content-policy';
import { FailureType, type FailureDetails, type FailureTypeName } from '../common/errors';
import type { RenderVideoResult } from '../common/render';
import type { ManifestEntry } from '../common/storyboard';

/** The manifest line of a shot whose child stored its video. */
export function storedEntry(shotId: string, r: RenderVideoResult): ManifestEntry {
  return {
    shotId,
    status: 'stored',
    taskId: r.taskId,
    key: r.storage.key,
    url: r.storage.url,
    sha256: r.storage.sha256,
    bytes: r.storage.bytes,
    ...(r.seed !== undefined ? { seed: r.seed } : {}),
    ...(r.usage ? { usage: r.usage } : {}),
    ...(r.storage.skipped ? { reused: true } : {}),
    ...(r.storage.lastFrame ? { lastFrame: r.storage.lastFrame } : {}),
    ...(r.storage.lastFrameMissing ? { lastFrameMissing: r.storage.lastFrameMissing } : {}),
  };
}

/**
 * The typed reason a child failed, as manifest fields. The type is the child's own failure
 * type (a FailureType), one of ours for a start that found the shot running or a cancelled
 * shot, or the SDK's name for anything else. Rethrows what is not a child's failure.
 */
export function describeChildFailure(err: unknown): {
  type: FailureTypeName;
  entry: Pick<ManifestEntry, 'failureType' | 'failureMessage' | 'taskId' | 'failureStage'>;
} {
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return {
      type: FailureType.ShotAlreadyRunning,
      entry: {
        failureType: FailureType.ShotAlreadyRunning,
        failureMessage: `${(err as WorkflowExecutionAlreadyStartedError).workflowId} is already running elsewhere`,
      },
    };
  }
  if (err instanceof ChildWorkflowFailure) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) {
      const details = cause.details?.[0] as FailureDetails | undefined;
      const type = cause.type ?? FailureType.Error;
      const stage = type === FailureType.ContentPolicyViolation ? { failureStage: policyStage(details) } : {};
      return {
        type,
        entry: { failureType: type, failureMessage: cause.message, ...(details?.taskId ? { taskId: details.taskId } : {}), ...stage },
      };
    }
    if (cause?.name === 'CancelledFailure')
      return { type: FailureType.Cancelled, entry: { failureType: FailureType.Cancelled, failureMessage: 'the shot was cancelled' } };
    const type = cause?.name ?? FailureType.ChildFailed;
    return { type, entry: { failureType: type, failureMessage: cause?.message ?? err.message } };
  }
  throw err;
}

/**
 * The stage a content-policy failure's details give; a child that ran on a worker from before
 * stages (or a failure someone else built) gives none, and it is read from the provider's code.
 */
function policyStage(details: FailureDetails | undefined): ContentPolicyStage {
  if (isContentPolicyStage(details?.stage)) return details.stage;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return contentPolicyStage(text(details?.providerCode), text(details?.providerMessage));
}
