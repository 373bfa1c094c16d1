/**
 * What a submit attempt tells Temporal about itself, so that the workflow can judge an
 * attempt that died without an answer: did its request leave, or provably not?
 *
 * The createTask activity records these as heartbeat details with a *confirmed* RPC (see
 * activities/seedance/attempt-beacon.ts): `sending` is on the server before the first byte of
 * the POST leaves the worker. So an attempt that timed out without `sending` in its last
 * heartbeat never sent anything and may be tried again; one with it may have been accepted
 * and billed. No I/O: workflows import this module.
 */

export type SubmitPhase = 'preparing' | 'sending';

/** Heartbeat details of a createTask attempt. */
export interface SubmitBeat {
  phase: SubmitPhase;
  /** When this phase began, epoch milliseconds (worker clock). */
  since: number;
}

/** True when the attempt's last recorded heartbeat says its request may be on the wire. */
export function requestMayHaveLeft(lastHeartbeatDetails: unknown): boolean {
  return (
    typeof lastHeartbeatDetails === 'object' &&
    lastHeartbeatDetails !== null &&
    (lastHeartbeatDetails as Partial<SubmitBeat>).phase === 'sending'
  );
}

/** When the attempt's request may have left, for messages a person can act on. */
export function sendingSince(lastHeartbeatDetails: unknown): number | undefined {
  if (!requestMayHaveLeft(lastHeartbeatDetails)) return undefined;
  const since = (lastHeartbeatDetails as SubmitBeat).since;
  return typeof since === 'number' && Number.isFinite(since) ? since : undefined;
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
