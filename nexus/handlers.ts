/**
 * The handlers behind the seedance-flow Nexus service (./service.ts), registered by the
 * workflows worker when SEEDANCE_NEXUS is on (workers/worker.ts). Each operation is backed by
 * one of our workflows (a workflow-run operation: it may last hours, its result reaches the
 * caller by Temporal's completion callback, and cancelling the operation cancels the workflow).
 *
 * Every start is keyed by the business key, exactly as the CLI keys it, with the
 * USE_EXISTING conflict policy: a retried or second caller with the same key attaches to the
 * running workflow (the SDK attaches its completion callback and request id to that run)
 * instead of starting, and paying for, a second one.
 *
 * Inputs come from other teams' code: they are validated here, before anything starts, and a
 * bad one is a non-retryable BAD_REQUEST whose cause is an `InvalidRequest` failure.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowRunOperationHandler, getClient, log, startWorkflow } from '@temporalio/nexus';
import * as nexus from 'nexus-rpc';
import type { z } from 'zod';
import { FailureType, failure } from '../common/errors';
import { RenderVideoInputSchema, type RenderVideoResult } from '../common/render';
import { RenderStoryboardInputSchema, clip, type StoryboardResult } from '../common/storyboard';
import { videoWorkflowId } from '../common/video-id';
import type { renderStoryboard, renderVideo } from '../workflows';
import { seedanceService, type RenderStoryboardOperationInput, type RenderVideoOperationInput } from './service';

export interface SeedanceNexusOptions {
  /** The queue our workflows run on (SEEDANCE_TASK_QUEUE): where the operations start them. */
  taskQueue: string;
}

/**
 * The service handler for Worker's `nexusServices`.
 *
 * @example
 * ```ts
 * await Worker.create({ ...options, taskQueue: 'seedance-flow', nexusServices: [seedanceNexusHandler({ taskQueue: 'seedance-flow' })] });
 * ```
 */
export function seedanceNexusHandler(opts: SeedanceNexusOptions): nexus.ServiceHandler<(typeof seedanceService)['operations']> {
  return nexus.serviceHandler(seedanceService, {
    renderVideo: new RenderVideoOperation(opts.taskQueue),
    renderStoryboard: new WorkflowRunOperationHandler<RenderStoryboardOperationInput, StoryboardResult>(async (ctx, input) => {
      const checked = checkInput(RenderStoryboardInputSchema, input, ['carry', 'shotTaskQueue']);
      log.info('storyboard requested through Nexus', { storyboardId: checked.storyboardId });
      return startWorkflow<typeof renderStoryboard>(ctx, 'renderStoryboard', {
        taskQueue: opts.taskQueue,
        workflowId: checked.storyboardId,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        // As `seedance-flow render`: a finished storyboard runs again, rendering only the
        // shots whose video is missing or failed.
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
    }),
  });
}

/**
 * renderVideo under the CLI's id (common/video-id.ts). A running render is attached to; one
 * already stored is not started again (ALLOW_DUPLICATE_FAILED_ONLY, as the CLI) and its result
 * is the operation's result, at once; a failed one may be rendered again.
 */
class RenderVideoOperation implements nexus.OperationHandler<RenderVideoOperationInput, RenderVideoResult> {
  private readonly run: WorkflowRunOperationHandler<RenderVideoOperationInput, RenderVideoResult>;

  constructor(taskQueue: string) {
    this.run = new WorkflowRunOperationHandler<RenderVideoOperationInput, RenderVideoResult>(async (ctx, input) => {
      checkInput(RenderVideoInputSchema, input, ['notifyParent']);
      return startWorkflow<typeof renderVideo>(ctx, 'renderVideo', {
        taskQueue,
        workflowId: videoWorkflowId(input),
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      });
    });
  }

  async start(
    ctx: nexus.StartOperationContext,
    input: RenderVideoOperationInput,
  ): Promise<nexus.HandlerStartOperationResult<RenderVideoResult>> {
    try {
      return await this.run.start(ctx, input);
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // Stored by an earlier run: that run's result is this video, nothing is paid again.
      const result: RenderVideoResult = await getClient().workflow.getHandle(err.workflowId).result();
      return nexus.HandlerStartOperationResult.sync(result);
    }
  }

  cancel(ctx: nexus.CancelOperationContext, token: string): Promise<void> {
    return this.run.cancel(ctx, token);
  }
}

/**
 * The input parsed by the workflow's own schema, with the internal fields refused: a problem
 * is a BAD_REQUEST (never retried) whose cause is an `InvalidRequest` failure naming it.
 */
function checkInput<S extends z.ZodType>(schema: S, input: unknown, internal: readonly string[]): z.output<S> {
  const refused = input && typeof input === 'object' ? internal.filter((k) => k in input) : [];
  const problems = refused.map((k) => `${k}: internal to seedance-flow, not accepted through Nexus`);
  const parsed = schema.safeParse(input);
  if (!parsed.success) problems.push(...parsed.error.issues.slice(0, 20).map((i) => `${i.path.join('.') || 'input'}: ${i.message}`));
  if (problems.length === 0 && parsed.success) return parsed.data;
  // Bounded: the problems quote a caller's keys and values.
  const message = clip(`invalid input: ${problems.join('; ')}`, 2000);
  throw new nexus.HandlerError('BAD_REQUEST', message, { cause: failure(FailureType.InvalidRequest, message) });
}
