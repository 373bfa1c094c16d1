/**
 * The provider activities: createTask (the only place a task is POSTed; `submitTask` is its
 * earlier name), getTask and cancelTask. Built by a factory so workers inject their clients (and tests their fakes).
 */
import { Context, type Info } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';
import { ZodError } from 'zod';
import { SEND_MARGIN_MS, submitAttemptNumber } from '../../common/submit-attempt';
import type { CallbackSettings } from '../../common/config';
import type { CallbackPlan } from '../../common/callbacks';
import { callbackUrl } from './callback-token';
import { findTasks, type TaskLookup, type TaskLookupResult } from './find-task';
import { providerTaskQueue, type ActivityRoleDeclaration } from '../../common/task-queues';
import { formatIssues, shotFromInput, type ResolvedShot, type ShotInput } from '../../common/shot';
import type { ApiFamily } from '../../common/shot';
import { countMetric } from '../metrics';
import type { ParentRef } from '../../common/phase-events';
import type { PhaseRelay } from '../phase-relay';
import { whileHeartbeating } from '../heartbeat';
import { announceSending, confirmAttemptAlive, type HeartbeatRpc, type SendingAnnouncer } from './attempt-guard';
import { ProviderError } from './provider-error';
import { resolveImageUrl, type ImageSources } from './images';
import { linkSecondsFor, resolveMediaUrl } from './media';
import { invalidRequest, notSent } from './submit-failures';
import type { PreparedSubmit, SeedanceFamilyClient, SubmitResult, TaskSnapshot } from './types';

/**
 * The provider's limit on one request body is 64 MB (docs/provider/notes.md, "Inputs"); what a
 * shot inlines (images, reference videos and audio, as data URLs) stays below it.
 */
export const MAX_INLINE_IMAGE_BYTES = 60 * 1024 * 1024;

export interface SeedanceDeps {
  clients: Record<ApiFamily, SeedanceFamilyClient>;
  /** Where staged images are read from, and which references count as staged. */
  images: ImageSources;
  /**
   * One heartbeat as an awaited RPC (`client.activity.heartbeat(taskToken, details)`): proves
   * an attempt is still alive right before it sends.
   */
  heartbeat: HeartbeatRpc;
  /** Signals `submitSending` to a workflow and resolves once it is recorded (see attempt-guard.ts). */
  announceSending: SendingAnnouncer;
  /** The provider request timeout: a request is sent only when the attempt can outlast it. */
  requestTimeoutMs: number;
  /** Tells storyboards their shots' phases; absent, nothing is reported. */
  phases?: PhaseRelay;
  /** Callback URLs on tasks-family submits (common/config.ts callbackSettings); absent: polling only. */
  callbacks?: CallbackSettings;
}

export interface TaskRef {
  api: ApiFamily;
  taskId: string;
}

export interface CancelResult {
  cancelled: boolean;
  reason?: string;
}

/** Runs a provider call and converts its ProviderError into the ApplicationFailure Temporal retries on. */
async function asActivity<T>(call: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ProviderError) {
      countMetric('seedance_provider_failures', 1, { type: err.type, call }, 'provider calls that failed, by failure type');
      throw err.toApplicationFailure(Context.current().info.attempt);
    }
    throw err;
  }
}

/** Provider calls run on the provider role's queue, rate-limited across workers. */
export const seedanceActivityRole = { role: 'provider', taskQueue: providerTaskQueue } as const satisfies ActivityRoleDeclaration;

export function createSeedanceActivities(deps: SeedanceDeps) {
  /**
   * Creates the provider task: prepare, confirm, then POST once.
   *
   * 1. Prepare everything that can fail slowly or be retried safely (read and inline staged
   *    images, bounded in size and time; build and validate the body). Failures here are
   *    typed by cause and nothing has been sent.
   * 2. Refuse to send unless the attempt has comfortably more time left than one request.
   * 3. Confirm with Temporal that the attempt is still alive (a given-up attempt stops here),
   *    then signal the workflow `submitSending` and wait until it is recorded.
   * 4. POST, and nothing else.
   *
   * The whole attempt heartbeats, so a dead worker is noticed within the heartbeat timeout.
   * One that dies before step 3's signal leaves no `submitSending`: the workflow retries and
   * nothing can have been billed. One that dies after it is `SubmitOutcomeUnknown`, never
   * resubmitted. Temporal never retries this activity; the workflow does, on durable timers.
   */
  async function createTask(input: ShotInput, parent?: ParentRef): Promise<SubmitResult> {
    const ctx = Context.current();
    const { info } = ctx;
    const run = info.workflowExecution;
    if (!run) throw invalidRequest('createTask is judged by its workflow and runs only inside one');
    let phase: 'preparing' | 'sending' = 'preparing';
    return whileHeartbeating(
      async () => {
        const stop = ctx.cancellationSignal;
        const { shot, prepared } = await prepareSubmit(input, stop).catch((err: unknown) => {
          throw stop.aborted ? stoppedBeforeSending(ctx) : err;
        });
        if (stop.aborted) throw stoppedBeforeSending(ctx);
        const callbacks = withCallbackUrl(prepared, run, info.activityId, parent);
        ensureTimeToSend(info, deps.requestTimeoutMs);
        await confirmAttemptAlive(deps.heartbeat, info.taskToken);
        phase = 'sending';
        await announceSending(deps.announceSending, run, {
          activityId: info.activityId,
          at: Date.now(),
          ...(callbacks ? { callbacks } : {}),
          ...(shot.seed !== undefined && shot.seed >= 0 ? { seed: shot.seed } : {}),
        });
        const result = await asActivity('submit', () => deps.clients[shot.api].send(prepared));
        countMetric('seedance_submissions', 1, { api: shot.api, model: shot.model }, 'tasks accepted by the provider');
        deps.phases?.fromActivity(parent, 'submitted', result.taskId);
        return callbacks ? { ...result, callbacks } : result;
      },
      () => ({ phase }),
    );
  }

  /**
   * Adds this attempt's callback URL to a tasks-family request when callbacks are on; the
   * plan it returns tells the workflow how to watch the task (the URL itself stays here).
   */
  function withCallbackUrl(
    prepared: PreparedSubmit,
    run: { workflowId: string; runId: string },
    activityId: string,
    parent: ParentRef | undefined,
  ): CallbackPlan | undefined {
    const settings = deps.callbacks;
    const attempt = submitAttemptNumber(activityId);
    if (!settings || prepared.api !== 'tasks' || attempt === undefined) return undefined;
    const secret = settings.secrets[0] as string;
    const url = callbackUrl(settings.baseUrl, secret, {
      ...run,
      attempt,
      ...(parent ? { parentWorkflowId: parent.parentWorkflowId } : {}),
    });
    (prepared.body as { callback_url?: string }).callback_url = url;
    return settings.plan;
  }

  async function prepareSubmit(input: ShotInput, signal: AbortSignal): Promise<{ shot: ResolvedShot; prepared: PreparedSubmit }> {
    let shot: ResolvedShot;
    try {
      shot = shotFromInput(input);
    } catch (err) {
      throw asInvalid(err);
    }
    const images = await Promise.all(shot.images.map((img) => resolveImageUrl(img, deps.images, signal)));
    // One at a time: a reference video may be tens of MiB, and each is held until the request is sent.
    const media = { videos: [] as string[], audios: [] as string[] };
    const link = linkSecondsFor(shot.execution_expires_after);
    for (const ref of shot.videos ?? []) media.videos.push(await resolveMediaUrl(ref, 'video', deps.images, signal, link));
    for (const ref of shot.audios ?? []) media.audios.push(await resolveMediaUrl(ref, 'audio', deps.images, signal, link));
    const inline = [...images, ...media.videos, ...media.audios].reduce((sum, url) => sum + (url.startsWith('data:') ? url.length : 0), 0);
    if (inline > MAX_INLINE_IMAGE_BYTES) {
      const what = media.videos.length + media.audios.length ? 'images, videos and audio' : 'images';
      throw invalidRequest(
        `the inlined ${what} add up to ${inline} bytes, over the ${MAX_INLINE_IMAGE_BYTES}-byte request budget; give the largest by url (hosted where the provider can fetch it)`,
      );
    }
    try {
      return { shot, prepared: deps.clients[shot.api].prepare(shot, images, media) };
    } catch (err) {
      throw asInvalid(err);
    }
  }

  /** One cheap status read; polling cadence is the workflow's business. */
  async function getTask(ref: TaskRef, parent?: ParentRef): Promise<TaskSnapshot> {
    const snapshot = await asActivity('get', () => deps.clients[ref.api].get(ref.taskId));
    countMetric('seedance_polls', 1, { api: ref.api, status: snapshot.status }, 'status polls, by normalized status');
    if (snapshot.status === 'running') deps.phases?.fromActivity(parent, 'rendering', ref.taskId);
    return snapshot;
  }

  /**
   * Looks up the tasks an ambiguous submit may have created (find-task.ts): every recent
   * task of the model with the attempt's seed and parameters. A family without a list call
   * answers `listed: false`: the workflow cannot decide, and says so.
   */
  async function findTask(lookup: TaskLookup & { api: ApiFamily }): Promise<TaskLookupResult & { listed: boolean }> {
    const client = deps.clients[lookup.api];
    const list = client.list?.bind(client);
    if (!list) return { listed: false, matches: [], scanned: 0, pages: 0 };
    const result = await asActivity('list', () => findTasks(lookup, list));
    countMetric(
      'seedance_task_lookups',
      1,
      { api: lookup.api, found: String(result.matches.length) },
      'task-list lookups after ambiguous submits',
    );
    return { listed: true, ...result };
  }

  /** Cancels at the provider where the family allows it (tasks: queued only). */
  async function cancelTask(ref: TaskRef): Promise<CancelResult> {
    const client = deps.clients[ref.api];
    if (!client.cancel) return { cancelled: false, reason: `the ${ref.api} family has no cancel call` };
    try {
      await client.cancel(ref.taskId);
      return { cancelled: true };
    } catch (err) {
      if (err instanceof ProviderError && !err.toApplicationFailure().nonRetryable) {
        throw err.toApplicationFailure(Context.current().info.attempt);
      }
      // A running or finished task cannot be cancelled: report it, the workflow still ends cancelled.
      return { cancelled: false, reason: err instanceof Error ? err.message : String(err) };
    }
  }

  return {
    createTask,
    /**
     * The same activity under its earlier name, for renders started before createTask
     * existed (their histories schedule `submitTask`, and their workflows judge a timeout
     * the old way). A new name keeps an older worker from ever running an attempt that a
     * newer workflow would judge by its submitSending signal.
     */
    submitTask: createTask,
    getTask,
    findTask,
    cancelTask,
  };
}

/**
 * Refuses to send when the attempt could be timed out before the answer is recorded (its
 * start is not in the activity info, so the schedule time gives a conservative deadline).
 */
export function ensureTimeToSend(
  info: Pick<Info, 'currentAttemptScheduledTimestampMs' | 'startToCloseTimeoutMs' | 'scheduledTimestampMs' | 'scheduleToCloseTimeoutMs'>,
  requestTimeoutMs: number,
  now = Date.now(),
): void {
  const ends: number[] = [];
  if (info.startToCloseTimeoutMs > 0) ends.push(info.currentAttemptScheduledTimestampMs + info.startToCloseTimeoutMs);
  if (info.scheduleToCloseTimeoutMs > 0) ends.push(info.scheduledTimestampMs + info.scheduleToCloseTimeoutMs);
  if (!ends.length) return;
  const left = Math.min(...ends) - now;
  if (left < requestTimeoutMs + SEND_MARGIN_MS) {
    throw notSent(
      `only ${Math.max(0, Math.round(left / 1000))} s left in this attempt, less than the ${Math.round((requestTimeoutMs + SEND_MARGIN_MS) / 1000)} s one request may need; not sent`,
    );
  }
}

/** The attempt was stopped while preparing: by a cancel, or because Temporal gave it up. */
function stoppedBeforeSending(ctx: Context): Error {
  if (ctx.cancellationDetails?.cancelRequested) return new CancelledFailure('the submit was cancelled before its request was sent');
  return notSent('the attempt was stopped while preparing (timed out or its worker is shutting down); nothing was sent');
}

function asInvalid(err: unknown): unknown {
  if (err instanceof ZodError) return invalidRequest(`the shot cannot be sent: ${formatIssues(err).join('; ')}`);
  return err;
}

export type SeedanceActivities = ReturnType<typeof createSeedanceActivities>;
