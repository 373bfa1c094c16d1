/**
 * Typed helpers for services that render one video: start (or attach to) renderVideo under a
 * deterministic id, wait, and turn the outcome into one plain object.
 */
import { DEFAULT_PRIORITY, temporalPriority } from '../common/admission';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { isContentPolicyStage, type ContentPolicyStage } from '../common/content-policy';
import { FailureType, type FailureDetails, type FailureTypeName } from '../common/errors';
import type { RenderVideoInput, RenderVideoProgress, RenderVideoResult, Usage } from '../common/render';
import { videoWorkflowId } from '../common/video-id';
import { renderVideo, renderVideoProgressQuery } from '../workflows';

/** Same shot, same id: starting it twice attaches to the running render instead of paying again (common/video-id.ts, shared with the Nexus handler). */
export { videoWorkflowId };

/**
 * Starts renderVideo, or attaches to the render of the same shot and key that is already
 * running or already stored (see {@link videoWorkflowId}); a failed earlier run starts anew.
 *
 * @example
 * ```ts
 * const handle = await startRenderVideo(client, { shot: { prompt: 'a lighthouse at dawn' } }, { taskQueue: 'seedance-flow' });
 * const outcome = await waitForVideo(handle, (p) => console.log(p.phase));
 * ```
 */
export async function startRenderVideo(
  client: Client,
  input: RenderVideoInput,
  opts: { taskQueue: string; workflowId?: string },
): Promise<WorkflowHandle<typeof renderVideo>> {
  const workflowId = opts.workflowId ?? videoWorkflowId(input);
  try {
    return await client.workflow.start(renderVideo, {
      taskQueue: opts.taskQueue,
      workflowId,
      args: [input],
      // Attach to a running render; start anew only if the previous run did not succeed.
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      // Temporal's own task priority follows the admission priority; the render's activities inherit it.
      ...(input.admission
        ? { priority: temporalPriority(input.admission.priority ?? DEFAULT_PRIORITY, input.admission.group ?? 'videos') }
        : {}),
    });
  } catch (err) {
    // Already rendered successfully: hand back that run, its result is the video.
    if (err instanceof WorkflowExecutionAlreadyStartedError) return client.workflow.getHandle(workflowId);
    throw err;
  }
}

/** The outcome of one render as a flat object: what `--json` prints. */
export interface VideoOutcome {
  workflowId: string;
  status: 'stored' | 'failed' | 'cancelled';
  taskId?: string;
  storageUrl?: string;
  key?: string;
  sha256?: string;
  bytes?: number;
  seed?: number;
  usage?: Usage;
  skipped?: boolean;
  failureType?: FailureTypeName;
  /** For ContentPolicyViolation: what moderation blocked (common/content-policy.ts). */
  failureStage?: ContentPolicyStage;
  message?: string;
}

/** Waits for a render to end and returns its outcome as one flat object; `onProgress` gets the progress query every `progressEveryMs`. */
export async function waitForVideo(
  handle: WorkflowHandle<typeof renderVideo>,
  onProgress?: (p: RenderVideoProgress) => void,
  progressEveryMs = 2000,
): Promise<VideoOutcome> {
  // One query at a time, and the last one is awaited before returning, so no gRPC retry
  // outlives the caller's connection.
  let inFlight: Promise<void> = Promise.resolve();
  const timer = onProgress
    ? setInterval(() => {
        inFlight = inFlight.then(() =>
          handle
            .query(renderVideoProgressQuery)
            .then(onProgress)
            .catch(() => undefined),
        );
      }, progressEveryMs)
    : undefined;
  try {
    const result: RenderVideoResult = await handle.result();
    return {
      workflowId: handle.workflowId,
      status: 'stored',
      taskId: result.taskId,
      storageUrl: result.storage.url,
      key: result.storage.key,
      sha256: result.storage.sha256,
      bytes: result.storage.bytes,
      skipped: result.storage.skipped,
      ...(result.seed !== undefined ? { seed: result.seed } : {}),
      ...(result.usage ? { usage: result.usage } : {}),
    };
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    return { workflowId: handle.workflowId, ...describeFailure(err.cause) };
  } finally {
    if (timer) clearInterval(timer);
    await inFlight;
  }
}

/** A workflow failure's cause as the failure type and message users see (types from common/errors.ts). */
export function describeFailure(
  cause: Error | undefined,
): Pick<VideoOutcome, 'status' | 'failureType' | 'failureStage' | 'message' | 'taskId'> {
  if (cause instanceof CancelledFailure)
    return { status: 'cancelled', failureType: FailureType.Cancelled, message: 'the render was cancelled' };
  if (cause instanceof ApplicationFailure) {
    const details = cause.details?.[0] as FailureDetails | undefined;
    return {
      status: 'failed',
      failureType: cause.type ?? FailureType.Error,
      message: cause.message,
      ...(details?.taskId ? { taskId: details.taskId } : {}),
      ...(isContentPolicyStage(details?.stage) ? { failureStage: details.stage } : {}),
    };
  }
  if (cause instanceof TerminatedFailure) return { status: 'failed', failureType: FailureType.Terminated, message: cause.message };
  if (cause instanceof TimeoutFailure) return { status: 'failed', failureType: FailureType.WorkflowTimedOut, message: cause.message };
  return { status: 'failed', failureType: FailureType.Error, message: cause?.message ?? 'unknown failure' };
}
