/**
 * renderVideo: one Seedance video, from shot to object in storage, exactly one paid submit.
 *
 * Deterministic code only: every effect goes through an activity, every wait is a durable
 * timer, and the only clock is the workflow clock. Its activities and their options are in
 * video-activities.ts, its failures in video-failures.ts, polling in video-poll.ts.
 */
import {
  CancellationScope,
  defineQuery,
  defineSignal,
  isCancellation,
  log,
  metricMeter,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { TaskRef } from '../activities/seedance/activities';
import type { TaskSnapshot } from '../activities/seedance/types';
import { FailureType } from '../common/errors';
import { PollScheduleSchema, type PollSchedule } from '../common/poll-schedule';
import { RenderVideoInputSchema, type RenderVideoInput, type RenderVideoProgress, type RenderVideoResult } from '../common/render';
import { formatIssues, resolveShot } from '../common/shot';
import { SUBMIT_SENDING_SIGNAL, type SubmitSending } from '../common/submit-attempt';
import { videoActivities } from './video-activities';
import { parentRef, shotContext } from './video-context';
import { asWorkflowFailure, checkSucceeded, fail } from './video-failures';
import { pollUntilTerminal } from './video-poll';
import { CallbackInbox, providerCallbackSignal } from './video-callbacks';
import { submitOnce } from './video-submit';
import { AdmissionGate } from './video-admission';

export { CONFIRMED_SUBMIT_PATCH } from './video-submit';
export { providerCallbackSignal } from './video-callbacks';

/**
 * Signal from a createTask attempt, just before its request leaves (common/submit-attempt.ts):
 * the evidence a timed-out attempt is judged by. Sent by the worker's activity, not by callers.
 */
export const submitSendingSignal = defineSignal<[SubmitSending]>(SUBMIT_SENDING_SIGNAL);

/**
 * Query: the phase, task id, poll count and last provider status, at any moment.
 *
 * @example
 *   const progress = await client.workflow.getHandle(workflowId).query(renderVideoProgressQuery);
 *   console.log(progress.phase, progress.taskId, progress.polls);
 */
export const renderVideoProgressQuery = defineQuery<RenderVideoProgress>('renderVideoProgress');

/**
 * Renders one Seedance video durably: validate, submit once, poll on durable timers until a
 * terminal status, then copy the output into object storage.
 *
 * Fails with an ApplicationFailure whose `type` is one of {@link FailureType}; cancelling the
 * workflow stops polling, cancels the provider task where the family allows it and ends cancelled.
 *
 * @example
 *   // From your own workflow, on the seedance-flow task queue (README: "Using seedance-flow from your own workflows").
 *   import type { renderVideo } from 'seedance-flow/workflows';
 *   const video = await executeChild<typeof renderVideo>('renderVideo', {
 *     taskQueue: 'seedance-flow',
 *     workflowId: 'my-board/extra-shot', // a business key: a re-run attaches, never pays twice
 *     args: [{ shot: { prompt: 'a fox in the snow', duration: 5 }, storageKey: 'my-board/extra-shot.mp4' }],
 *   });
 *   // video.storage.key, video.storage.url, video.taskId, video.usage
 */
export async function renderVideo(rawInput: RenderVideoInput): Promise<RenderVideoResult> {
  const progress: RenderVideoProgress = { phase: 'validating', polls: 0 };
  setHandler(renderVideoProgressQuery, () => progress);
  // Submit attempts that announced their request, by activity id: the evidence a timed-out
  // attempt is judged by. Append-only, like the history it comes from.
  const sending = new Map<string, SubmitSending>();
  setHandler(submitSendingSignal, (announced) => {
    if (!sending.has(announced.activityId)) sending.set(announced.activityId, announced);
  });
  // What the provider's callbacks said (a hint; a GET confirms before anything is acted on).
  const inbox = new CallbackInbox(progress);
  setHandler(providerCallbackSignal, (callback) => inbox.receive(callback));

  const parsed = RenderVideoInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    throw fail(progress, { type: FailureType.InvalidRequest }, `invalid input: ${formatIssues(parsed.error).join('; ')}`);
  }
  const input = parsed.data;
  const shot = resolveShot(input.shot);
  const schedule: PollSchedule = PollScheduleSchema.parse(input.schedule ?? {});
  progress.storageKey = input.storageKey ?? defaultStorageKey(workflowInfo().workflowId);
  const parent = parentRef(input.notifyParent);
  const gate = new AdmissionGate(input.admission, shot.model);

  let task: TaskRef | undefined;
  let lastSnapshot: TaskSnapshot | undefined;
  try {
    progress.phase = 'submitting';
    const submitted = await submitOnce(shot, progress, parent, sending, inbox, gate);
    task = { api: submitted.api, taskId: submitted.taskId };
    progress.taskId = task.taskId;
    progress.heardFrom = 'submit';
    progress.lastHeardAt = Date.now();
    if (submitted.adoptedBy) progress.adoptedBy = submitted.adoptedBy;
    log.info('task submitted', { taskId: task.taskId, api: task.api, adoptedBy: submitted.adoptedBy, ...shotContext() });

    progress.phase = 'polling';
    // With callbacks, polling is the slow safety net; the callbacks wake the loop early.
    const plan = submitted.callbacks;
    if (plan) {
      progress.callbacks = true;
      inbox.watch(task.taskId);
    }
    const watchSchedule = plan
      ? { ...schedule, initialDelayMs: plan.safetyInitialDelayMs, maxIntervalMs: plan.safetyMaxIntervalMs }
      : schedule;
    lastSnapshot = await pollUntilTerminal(task, watchSchedule, input.maxUnknownStatusPolls, progress, parent, plan ? inbox : undefined);
    // Terminal at the provider: the account's slot is free (the copy holds no lease).
    await gate.release();
    const done = checkSucceeded(lastSnapshot, progress);

    progress.phase = 'copying';
    const succeededAt = Date.now();
    const storage = await videoActivities().copyToStorage(
      {
        url: done.videoUrl,
        key: progress.storageKey,
        taskId: task.taskId,
        model: shot.model,
        prompt: shot.prompt,
        ...(done.seed !== undefined ? { seed: done.seed } : {}),
        ...(done.usage ? { usage: done.usage } : {}),
        // A shot others continue from asked for its last frame: it is stored with the video.
        ...(shot.return_last_frame ? { lastFrame: done.lastFrameUrl !== undefined ? { url: done.lastFrameUrl } : {} } : {}),
      },
      parent,
    );
    progress.phase = 'stored';
    metricMeter
      .createHistogram('seedance_success_to_stored', 'int', 'ms', 'time from the poll that saw success to the video stored')
      .record(Date.now() - succeededAt, { api: task.api });
    metricMeter
      .createCounter('seedance_tokens', 'tokens', 'tokens reported by the provider for stored videos')
      .add(done.usage?.totalTokens ?? 0, { api: task.api });
    log.info('video stored', { taskId: task.taskId, key: storage.key, bytes: storage.bytes, ...shotContext() });
    return {
      status: 'stored',
      taskId: task.taskId,
      api: task.api,
      model: shot.model,
      storage,
      polls: progress.polls,
      ...(shot.draft ? { draft: true as const } : {}),
      ...(shot.draft_task_id !== undefined ? { draftTaskId: shot.draft_task_id } : {}),
      ...pick(done, ['seed', 'usage', 'duration', 'frames', 'resolution', 'ratio']),
    };
  } catch (err) {
    if (isCancellation(err)) {
      progress.phase = 'cancelled';
      await CancellationScope.nonCancellable(() => cancelAtProvider(task, lastSnapshot));
      throw err;
    }
    throw asWorkflowFailure(err, progress);
  } finally {
    // A render that ends any other way gives its lease back too (the limiter's sweep is the net).
    await CancellationScope.nonCancellable(() => gate.release());
  }
}

/** The task's key when the caller gives none: derived from the workflow id, so re-runs find it. */
export function defaultStorageKey(workflowId: string): string {
  return `videos/${workflowId.replace(/[^A-Za-z0-9._\-/]/g, '_').replace(/\.\.+/g, '_')}.mp4`;
}

/** Cancels the provider task while it may still run (best effort: a failure is logged). */
async function cancelAtProvider(task: TaskRef | undefined, last: TaskSnapshot | undefined): Promise<void> {
  if (!task || (last && last.status !== 'queued' && last.status !== 'running' && last.status !== 'unknown')) return;
  try {
    const result = await videoActivities().cancelTask(task);
    log.info('provider cancel', { taskId: task.taskId, ...result });
  } catch (err) {
    log.warn('provider cancel failed', { taskId: task.taskId, error: String(err) });
  }
}

function pick<T extends object, K extends keyof T>(obj: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}
