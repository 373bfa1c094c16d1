/**
 * renderVideo: one Seedance video, from shot to object in storage, exactly one paid submit.
 *
 * Deterministic code only: every effect goes through an activity, every wait is a durable
 * timer, and the only clock is the workflow clock.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  TimeoutFailure,
  defineQuery,
  defineSignal,
  isCancellation,
  log,
  metricMeter,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { SeedanceActivities, TaskRef } from '../activities/seedance/activities';
import type { TaskSnapshot } from '../activities/seedance/types';
import type { CopyActivities } from '../activities/storage/activities';
import { FailureType, NON_RETRYABLE_TYPES, isContentPolicyCode, isRetryable, type FailureDetails } from '../common/errors';
import { PollScheduleSchema, nextPollDelayMs, type PollSchedule } from '../common/poll-schedule';
import { RenderVideoInputSchema, type RenderVideoInput, type RenderVideoProgress, type RenderVideoResult } from '../common/render';
import { formatIssues, resolveShot, type ResolvedShot } from '../common/shot';
import {
  CREATE_TASK_HEARTBEAT_TIMEOUT_MS,
  CREATE_TASK_START_TO_CLOSE_MS,
  SUBMIT_SENDING_SIGNAL,
  submitAttemptActivityId,
  type SubmitSending,
} from '../common/submit-attempt';
import { submitRetryDelayMs, SUBMIT_MAX_ATTEMPTS } from '../common/submit-retry';
import { copyTaskQueue, providerTaskQueue } from '../common/task-queues';
import type { ParentRef } from '../common/phase-events';

/** Marks histories whose submits go through createTask and are judged by their submitSending signals. */
export const CONFIRMED_SUBMIT_PATCH = 'confirmed-submit-attempts';

/** From a createTask attempt, just before its request leaves (common/submit-attempt.ts). */
export const submitSendingSignal = defineSignal<[SubmitSending]>(SUBMIT_SENDING_SIGNAL);

/** Query: the phase, task id, poll count and last provider status, at any moment. */
export const renderVideoProgressQuery = defineQuery<RenderVideoProgress>('renderVideoProgress');

// Activities run on queues derived from the workflow's own (see common/task-queues.ts).
function activitiesOn(workflowQueue: string) {
  const provider = providerTaskQueue(workflowQueue);
  return {
    // The submit is never retried by Temporal: a timed-out attempt may have been accepted.
    // The workflow retries it itself, and only on failures where nothing was accepted. The
    // short heartbeat timeout makes a dead worker visible in seconds; the attempt's
    // submitSending signal says whether its request had left (common/submit-attempt.ts).
    // One proxy per attempt, so that each attempt has an activity id the signal can name.
    createTaskAttempt: (attempt: number) =>
      proxyActivities<SeedanceActivities>({
        taskQueue: provider,
        activityId: submitAttemptActivityId(attempt),
        startToCloseTimeout: CREATE_TASK_START_TO_CLOSE_MS,
        heartbeatTimeout: CREATE_TASK_HEARTBEAT_TIMEOUT_MS,
        retry: { maximumAttempts: 1 },
      }).createTask,
    // Renders started before createTask existed replay and finish with the old call.
    ...pickActivity(
      proxyActivities<SeedanceActivities>({ taskQueue: provider, startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 1 } }),
      'submitTask',
    ),
    // Reads are idempotent: Temporal retries them with backoff (Retry-After via nextRetryDelay).
    ...pickActivity(
      proxyActivities<SeedanceActivities>({
        taskQueue: provider,
        startToCloseTimeout: '30 seconds',
        retry: {
          initialInterval: '1 second',
          backoffCoefficient: 2,
          maximumInterval: '30 seconds',
          maximumAttempts: 6,
          nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
        },
      }),
      'getTask',
    ),
    ...pickActivity(
      proxyActivities<SeedanceActivities>({
        taskQueue: provider,
        startToCloseTimeout: '30 seconds',
        retry: { maximumAttempts: 3, nonRetryableErrorTypes: NON_RETRYABLE_TYPES },
      }),
      'cancelTask',
    ),
    // Long-running and heartbeating on a timer: a dead worker is noticed within the
    // heartbeat timeout, and the copy starts again elsewhere.
    ...pickActivity(
      proxyActivities<CopyActivities>({
        taskQueue: copyTaskQueue(workflowQueue),
        startToCloseTimeout: '2 hours',
        heartbeatTimeout: '15 seconds',
        retry: {
          initialInterval: '5 seconds',
          backoffCoefficient: 2,
          maximumInterval: '2 minutes',
          maximumAttempts: 10,
          nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
        },
      }),
      'copyToStorage',
    ),
  };
}

function pickActivity<T extends object, K extends keyof T>(proxy: T, name: K): Pick<T, K> {
  return { [name]: proxy[name] } as Pick<T, K>;
}

/** The activity stubs for this execution's task queue (cheap proxies; no module-level state in workflows). */
function activities(): ReturnType<typeof activitiesOn> {
  return activitiesOn(workflowInfo().taskQueue);
}

/**
 * Renders one Seedance video durably: validate, submit once, poll on durable timers until a
 * terminal status, then copy the output into object storage.
 *
 * Fails with an ApplicationFailure whose `type` is one of {@link FailureType}; cancelling the
 * workflow stops polling, cancels the provider task where the family allows it and ends cancelled.
 */
export async function renderVideo(rawInput: RenderVideoInput): Promise<RenderVideoResult> {
  const progress: RenderVideoProgress = { phase: 'validating', polls: 0 };
  setHandler(renderVideoProgressQuery, () => progress);
  // Submit attempts that announced their request, by activity id: the evidence a timed-out
  // attempt is judged by. Append-only, like the history it comes from.
  const sending = new Map<string, number>();
  setHandler(submitSendingSignal, ({ activityId, at }) => {
    sending.set(activityId, at);
  });

  const parsed = RenderVideoInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    throw fail(progress, { type: FailureType.InvalidRequest }, `invalid input: ${formatIssues(parsed.error).join('; ')}`);
  }
  const input = parsed.data;
  const shot = resolveShot(input.shot);
  const schedule: PollSchedule = PollScheduleSchema.parse(input.schedule ?? {});
  progress.storageKey = input.storageKey ?? defaultStorageKey(workflowInfo().workflowId);
  const report = phaseReport(input.notifyParent);

  let task: TaskRef | undefined;
  let lastSnapshot: TaskSnapshot | undefined;
  try {
    progress.phase = 'submitting';
    const submitted = await submitOnce(shot, progress, report, sending);
    task = { api: submitted.api, taskId: submitted.taskId };
    progress.taskId = task.taskId;
    log.info('task submitted', { taskId: task.taskId, api: task.api, ...shotContext() });

    progress.phase = 'polling';
    lastSnapshot = await pollUntilTerminal(task, schedule, input.maxUnknownStatusPolls, progress, report);
    const done = checkSucceeded(lastSnapshot, progress);

    progress.phase = 'copying';
    const succeededAt = Date.now();
    const storage = await activities().copyToStorage(
      {
        url: done.videoUrl,
        key: progress.storageKey,
        taskId: task.taskId,
        model: shot.model,
        prompt: shot.prompt,
        ...(done.seed !== undefined ? { seed: done.seed } : {}),
        ...(done.usage ? { usage: done.usage } : {}),
      },
      report,
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
      ...pick(done, ['seed', 'usage', 'duration', 'frames', 'resolution', 'ratio']),
    };
  } catch (err) {
    if (isCancellation(err)) {
      progress.phase = 'cancelled';
      await CancellationScope.nonCancellable(() => cancelAtProvider(task, lastSnapshot));
      throw err;
    }
    throw asWorkflowFailure(err, progress);
  }
}

/** The task's key when the caller gives none: derived from the workflow id, so re-runs find it. */
export function defaultStorageKey(workflowId: string): string {
  return `videos/${workflowId.replace(/[^A-Za-z0-9._\-/]/g, '_').replace(/\.\.+/g, '_')}.mp4`;
}

async function submitOnce(
  shot: ResolvedShot,
  progress: RenderVideoProgress,
  report: ParentRef | undefined,
  sending: ReadonlyMap<string, number>,
) {
  // Histories recorded before createTask existed called submitTask, and judged every timeout
  // as "maybe sent": they replay, and finish, exactly that way.
  const confirmed = patched(CONFIRMED_SUBMIT_PATCH);
  for (let attempt = 1; ; attempt++) {
    let retry: { type: string; hintMs?: number };
    try {
      return confirmed ? await activities().createTaskAttempt(attempt)(shot, report) : await activities().submitTask(shot, report);
    } catch (err) {
      retry = judgeSubmitFailure(err, confirmed ? (sending.get(submitAttemptActivityId(attempt)) ?? null) : undefined, progress);
    }
    if (attempt >= SUBMIT_MAX_ATTEMPTS) {
      throw fail(
        progress,
        { type: retry.type as FailureType },
        `the submit was not accepted after ${attempt} attempts (last: ${progress.lastStatus ?? retry.type})`,
      );
    }
    const delay = submitRetryDelayMs(attempt, retry.hintMs);
    log.warn('submit not accepted; retrying', { type: retry.type, attempt, delayMs: delay });
    progress.lastStatus = `retrying submit after ${retry.type}`;
    await sleep(delay);
  }
}

/**
 * Decides what a failed submit attempt means: retry (nothing can have been accepted) or stop.
 * `sentAt`: when the attempt announced its request (null: it never did; undefined: an old
 * history, which cannot tell). Throws the failure that ends the render; returns the retry's
 * type and delay hint.
 */
function judgeSubmitFailure(
  err: unknown,
  sentAt: number | null | undefined,
  progress: RenderVideoProgress,
): { type: string; hintMs?: number } {
  if (err instanceof ActivityFailure && err.cause instanceof TimeoutFailure) {
    if (sentAt !== null) {
      // The worker died or hung while the POST may have been on the wire.
      throw fail(
        progress,
        { type: FailureType.SubmitOutcomeUnknown },
        `the submit attempt stopped ${sentAt !== undefined ? `while its request was in flight (sent at ${new Date(sentAt).toISOString()})` : 'without an answer'}; the task may exist and be billed, so it is not resubmitted`,
      );
    }
    // The attempt never announced its request, so none left: trying again cannot pay twice.
    log.warn('submit attempt stopped before its request left; retrying', { timeoutType: String(err.cause.timeoutType) });
    return { type: FailureType.SubmitNotSent };
  }
  const failure = providerFailure(err);
  if (!failure) throw err;
  // An older worker without createTask during a rolling upgrade: it refused before doing anything.
  if (failure.type === 'NotFoundError') return { type: FailureType.SubmitNotSent };
  if (failure.nonRetryable || !isRetryable(failure.type ?? '')) throw err;
  const hintMs = failureDetails(failure)?.nextRetryDelayMs;
  return { type: failure.type ?? 'Error', ...(hintMs !== undefined ? { hintMs } : {}) };
}

async function pollUntilTerminal(
  task: TaskRef,
  schedule: PollSchedule,
  maxUnknown: number,
  progress: RenderVideoProgress,
  report: ParentRef | undefined,
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
    await sleep(delay);
    let snapshot: TaskSnapshot;
    try {
      // Only until the parent has heard "rendering": later polls have nothing to tell it.
      snapshot = await activities().getTask(task, sawRunning ? undefined : report);
    } catch (err) {
      const failure = providerFailure(err);
      const timedOut = err instanceof ActivityFailure && err.cause instanceof TimeoutFailure;
      // A provider outage or a dead worker during polling does not lose a paid task: keep
      // polling on the schedule until the deadline.
      if (timedOut || (failure && !failure.nonRetryable)) {
        log.warn('poll failed; will poll again', { taskId: task.taskId, type: failure?.type ?? 'timeout' });
        continue;
      }
      throw err;
    } finally {
      progress.polls++;
    }
    progress.lastStatus = snapshot.status;
    progress.lastRawStatus = snapshot.rawStatus;
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

function checkSucceeded(snapshot: TaskSnapshot, progress: RenderVideoProgress): TaskSnapshot & { videoUrl: string } {
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
      throw fail(progress, { type, ...base }, `task ${snapshot.taskId} failed${reason}`);
    }
    case 'expired':
      throw fail(progress, { type: FailureType.TaskExpired, ...base }, `task ${snapshot.taskId} expired before it ran${reason}`);
    default:
      throw fail(progress, { type: FailureType.TaskCancelled, ...base }, `task ${snapshot.taskId} was cancelled at the provider`);
  }
}

async function cancelAtProvider(task: TaskRef | undefined, last: TaskSnapshot | undefined): Promise<void> {
  if (!task || (last && last.status !== 'queued' && last.status !== 'running' && last.status !== 'unknown')) return;
  try {
    const result = await activities().cancelTask(task);
    log.info('provider cancel', { taskId: task.taskId, ...result });
  } catch (err) {
    log.warn('provider cancel failed', { taskId: task.taskId, error: String(err) });
  }
}

/** Storyboard and shot ids for logs, from the `<storyboardId>/<shotId>` workflow id of storyboard shots. */
function shotContext(): { storyboardId?: string; shotId?: string } {
  const m = /^([^/]+)\/([^/]+)$/.exec(workflowInfo().workflowId);
  return m ? { storyboardId: m[1] as string, shotId: m[2] as string } : {};
}

/**
 * Where the activities report this shot's phases: the storyboard parent, when asked to. The
 * activities send them in batches (activities/phase-reporter.ts); the workflow itself sends
 * nothing, so progress costs its history no events and the render no time.
 */
function phaseReport(enabled: boolean): ParentRef | undefined {
  const { parent } = workflowInfo();
  return enabled && parent ? { parentWorkflowId: parent.workflowId } : undefined;
}

/** The typed ApplicationFailure inside an activity failure, if the activity raised one. */
function providerFailure(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause;
  return undefined;
}

function failureDetails(failure: ApplicationFailure): FailureDetails | undefined {
  const d = failure.details?.[0];
  return d && typeof d === 'object' ? (d as FailureDetails) : undefined;
}

function fail(progress: RenderVideoProgress, details: FailureDetails, message: string): ApplicationFailure {
  const full = `${details.type}: ${message}`;
  metricMeter
    .createCounter('seedance_render_failures', 'renders', 'renders that ended failed, by failure type')
    .add(1, { type: details.type });
  log.warn('render failed', { type: details.type, ...(details.taskId ? { taskId: details.taskId } : {}), ...shotContext() });
  progress.phase = 'failed';
  progress.failure = { type: details.type, message: full };
  return ApplicationFailure.create({ type: details.type, message: full, nonRetryable: true, details: [details] });
}

/** Re-raises an activity's typed failure as the workflow's own, with the task id attached. */
function asWorkflowFailure(err: unknown, progress: RenderVideoProgress): unknown {
  if (err instanceof ApplicationFailure && progress.phase === 'failed') return err;
  const failure = providerFailure(err);
  if (!failure?.type) return err;
  const details: FailureDetails = {
    ...(failureDetails(failure) ?? {}),
    type: failure.type as FailureType,
    ...(progress.taskId ? { taskId: progress.taskId } : {}),
  };
  return fail(progress, details, failure.message.replace(new RegExp(`^${failure.type}: `), ''));
}

function pick<T extends object, K extends keyof T>(obj: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k] = obj[k];
  return out;
}
