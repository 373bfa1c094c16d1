/**
 * renderVideo's one paid submit: attempts retried only where nothing can have been accepted,
 * and an ambiguous attempt (its request left, no answer came) settled instead of guessed:
 *   1. With callbacks, the provider calls the attempt's own URL as soon as the task exists:
 *      wait (bounded) for that callback and adopt its task.
 *   2. Else (or when none came), look the attempt up in the provider's task list by the seed
 *      the workflow chose for it and its parameters: one match is adopted; none, twice some
 *      seconds apart, means nothing was created, and the shot is submitted again; several
 *      are reported, not guessed.
 *   3. Only when neither can decide does the render fail SubmitOutcomeUnknown, naming the
 *      attempt's seed and time window so a person can look the task up.
 */
import { condition, log, patched, sleep, workflowInfo } from '@temporalio/workflow';
import type { SubmitResult } from '../activities/seedance/types';
import { FailureType } from '../common/errors';
import type { ParentRef } from '../common/phase-events';
import type { RenderVideoProgress } from '../common/render';
import type { ResolvedShot } from '../common/shot';
import { attemptSeed, submitAttemptActivityId, type SubmitSending } from '../common/submit-attempt';
import { submitRetryDelayMs, SUBMIT_MAX_ATTEMPTS } from '../common/submit-retry';
import { videoActivities } from './video-activities';
import type { AdmissionGate } from './video-admission';
import type { CallbackInbox } from './video-callbacks';
import { fail, judgeSubmitFailure, type AmbiguousSubmit, type SubmitJudgement } from './video-failures';

/** Marks histories whose submits go through createTask and are judged by their submitSending signals. */
export const CONFIRMED_SUBMIT_PATCH = 'confirmed-submit-attempts';
/** Marks histories that choose seeds and settle ambiguous submits (older ones fail them at once). */
export const RECONCILE_PATCH = 'reconcile-ambiguous-submits';
/** Task-list lookups after an ambiguous submit: soon, and once more a little later (the list may lag). */
export const LOOKUP_DELAYS_MS = [3_000, 15_000] as const;
/** The task-list window a person is told to search, around the attempt's send time. */
const WINDOW_BEFORE_MS = 2 * 60_000;
const WINDOW_AFTER_MS = 10 * 60_000;

type Settled = { kind: 'adopted'; result: SubmitResult } | { kind: 'none' } | { kind: 'undecided'; why: string };

/** Submits the shot once; returns the accepted (or adopted) task. */
export async function submitOnce(
  shot: ResolvedShot,
  progress: RenderVideoProgress,
  parent: ParentRef | undefined,
  sending: ReadonlyMap<string, SubmitSending>,
  inbox: CallbackInbox,
  gate?: AdmissionGate,
): Promise<SubmitResult> {
  // Histories recorded before createTask existed called submitTask, and judged every timeout
  // as "maybe sent": they replay, and finish, exactly that way.
  const confirmed = patched(CONFIRMED_SUBMIT_PATCH);
  const reconciles = confirmed && patched(RECONCILE_PATCH);
  for (let attempt = 1; ; attempt++) {
    const attemptShot = reconciles ? withChosenSeed(shot, attempt) : shot;
    let judged: SubmitJudgement;
    // The account's lease (video-admission.ts): held from here until the task is terminal.
    await gate?.acquire(attempt, () => (progress.lastStatus = 'waiting for an account lease'));
    try {
      const accepted = confirmed
        ? await videoActivities().createTaskAttempt(attempt)(attemptShot, parent)
        : await videoActivities().submitTask(shot, parent);
      await gate?.submitted();
      return accepted;
    } catch (err) {
      // The attempt's submitSending signal, if it sent one, was recorded before its request left.
      const sentAt = confirmed ? (sending.get(submitAttemptActivityId(attempt))?.at ?? null) : undefined;
      judged = judgeSubmitFailure(err, sentAt, progress, reconciles);
    }
    if ('ambiguous' in judged) {
      const settled = await settle(attempt, attemptShot, judged.ambiguous, sending.get(submitAttemptActivityId(attempt)), inbox);
      if (settled.kind === 'adopted') {
        await gate?.submitted();
        return settled.result;
      }
      if (settled.kind === 'undecided') throw fail(progress, { type: FailureType.SubmitOutcomeUnknown }, settled.why);
      log.warn('ambiguous submit created no task (task list, looked twice); submitting again', { attempt });
      judged = { retry: { type: FailureType.SubmitNotSent } };
    }
    const retry = judged.retry;
    // Nothing was accepted: the lease goes back (a 429 also tells the limiter to slow down).
    await gate?.release(retry.type === FailureType.RateLimited ? (retry.hintMs ?? submitRetryDelayMs(attempt)) : undefined);
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

/** The shot as attempt `attempt` sends it: a tasks-family shot without a fixed seed gets the attempt's seed. */
function withChosenSeed(shot: ResolvedShot, attempt: number): ResolvedShot {
  // A final from a draft sends no seed: it renders with its draft's.
  if (shot.api !== 'tasks' || (shot.seed !== undefined && shot.seed >= 0) || shot.draft_task_id !== undefined) return shot;
  return { ...shot, seed: attemptSeed(workflowInfo().workflowId, attempt) };
}

async function settle(
  attempt: number,
  shot: ResolvedShot,
  ambiguous: AmbiguousSubmit,
  announced: SubmitSending | undefined,
  inbox: CallbackInbox,
): Promise<Settled> {
  const sentAt = ambiguous.sentAt ?? announced?.at ?? Date.now();
  const plan = announced?.callbacks;
  const adopt = (taskId: string, by: 'callback' | 'task-list'): Settled => {
    log.info('ambiguous submit settled: adopting its task', { attempt, taskId, by });
    return { kind: 'adopted', result: { taskId, api: shot.api, model: shot.model, adoptedBy: by, ...(plan ? { callbacks: plan } : {}) } };
  };
  if (plan) {
    // The provider calls back "queued" as soon as the task exists, to this attempt's own URL.
    await condition(() => inbox.forAttempt(attempt) !== undefined, Math.max(1, plan.adoptWaitMs));
    const heard = inbox.forAttempt(attempt);
    if (heard) return adopt(heard.taskId, 'callback');
  }
  const seed = shot.seed !== undefined && shot.seed >= 0 ? shot.seed : undefined;
  const cannot = (why: string): Settled => ({ kind: 'undecided', why: undecided(ambiguous, shot, seed, sentAt, why) });
  if (shot.api !== 'tasks') return cannot('the predictions family has no task list to look it up in');
  if (seed === undefined) return cannot('the request carried no seed to recognise it by');
  for (const wait of LOOKUP_DELAYS_MS) {
    await sleep(wait);
    let found;
    try {
      found = await videoActivities().findTask({
        api: shot.api,
        model: shot.model,
        seed,
        sentAt,
        ...pickDefined({ resolution: shot.resolution, ratio: shot.ratio, duration: shot.duration, frames: shot.frames }),
      });
    } catch (err) {
      return cannot(`the task list could not be read (${err instanceof Error ? err.message : String(err)})`);
    }
    if (!found.listed) return cannot('the provider has no task list');
    if (found.unaddressable) return cannot(`${found.unaddressable} listed task(s) match it but carry an id seedance-flow cannot address`);
    const [only, ...more] = found.matches;
    if (only !== undefined && more.length === 0) return adopt(only, 'task-list');
    if (only !== undefined)
      return cannot(`${found.matches.length} listed tasks match it (${found.matches.join(', ')}); not guessing which`);
  }
  return { kind: 'none' };
}

function undecided(ambiguous: AmbiguousSubmit, shot: ResolvedShot, seed: number | undefined, sentAt: number, why: string): string {
  const from = new Date(sentAt - WINDOW_BEFORE_MS).toISOString();
  const to = new Date(sentAt + WINDOW_AFTER_MS).toISOString();
  const look = `look for a task of model ${shot.model}${seed !== undefined ? ` with seed ${seed}` : ''} created between ${from} and ${to}`;
  return `${ambiguous.reason}; it could not be settled: ${why}; ${look}`;
}

function pickDefined<T extends Record<string, unknown>>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
