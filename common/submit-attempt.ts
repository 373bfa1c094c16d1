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

/** Signal name; the payload is {@link SubmitSending}. */
export const SUBMIT_SENDING_SIGNAL = 'submitSending';

export interface SubmitSending {
  /** The activity id of the attempt (the workflow sets one per attempt). */
  activityId: string;
  /** When the request was about to leave, epoch milliseconds (worker clock). */
  at: number;
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
