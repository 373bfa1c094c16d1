/**
 * How a createTask attempt that died without an answer is judged: did its request leave, or
 * provably not?
 *
 * Just before the POST, the activity signals its own workflow `submitSending` with its
 * activity id and waits until Temporal has recorded it. A signal is appended to history and
 * never overwritten, so the evidence cannot be lost or reordered (heartbeat details could be:
 * the SDK buffers them and only the last one survives). So when an attempt times out, the
 * workflow knows: no `submitSending` for it ⇒ no request left, try again; one ⇒ the request
 * may have been accepted and billed, `SubmitOutcomeUnknown`.
 *
 * No I/O: workflows import this module.
 */

import type { CallbackPlan } from './callbacks';

/** Signal name; the payload is {@link SubmitSending}. */
export const SUBMIT_SENDING_SIGNAL = 'submitSending';

export interface SubmitSending {
  /** The activity id of the attempt (the workflow sets one per attempt). */
  activityId: string;
  /** When the request was about to leave, epoch milliseconds (worker clock). */
  at: number;
  /** Present when the request carried a callback URL: the attempt can be recognised by its callback. */
  callbacks?: CallbackPlan;
  /** The seed the request carried, so an ambiguous attempt can be looked up in the task list. */
  seed?: number;
}

/** The attempt number in a createTask activity id (`create-task-N`); undefined for other ids. */
export function submitAttemptNumber(activityId: string): number | undefined {
  const m = /^create-task-(\d{1,4})$/.exec(activityId);
  return m ? Number(m[1]) : undefined;
}

/** The activity id the workflow gives submit attempt `n` (1-based). */
export function submitAttemptActivityId(attempt: number): string {
  return `create-task-${attempt}`;
}

/**
 * The createTask activity's timeouts. Its heartbeat timeout is what makes a dead worker
 * visible in seconds; its start-to-close bounds preparation plus one request.
 */
export const CREATE_TASK_HEARTBEAT_TIMEOUT_MS = 10_000;
export const CREATE_TASK_START_TO_CLOSE_MS = 120_000;
/**
 * A request is sent only when the attempt has at least this much more time left than the
 * request timeout, so an answer can always be recorded before Temporal gives the attempt up.
 */
export const SEND_MARGIN_MS = 10_000;

/**
 * The seed the workflow chooses for submit attempt `attempt` of a shot that fixes none
 * (tasks family): random-looking, different per shot and attempt, and the same on every
 * replay. It makes the attempt's task findable in the provider's task list when its submit
 * outcome is unknown; and the render reproducible, since the seed is in history.
 * FNV-1a over the workflow id and attempt, folded to 31 bits (valid for every model).
 */
export function attemptSeed(workflowId: string, attempt: number): number {
  let h = 0x811c9dc5;
  for (const ch of `${workflowId}\u0000${attempt}`) {
    h ^= ch.codePointAt(0) as number;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  // A final avalanche, so ids that differ in one character give unrelated seeds.
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b) >>> 0;
  h ^= h >>> 16;
  return h & 0x7fffffff;
}
