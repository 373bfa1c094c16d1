/**
 * Backoff for submits the provider did not accept (429, 5xx, connection refused). The
 * workflow, not Temporal, retries the submit, because only the workflow can tell "not
 * accepted" apart from "outcome unknown". No I/O, no clock: workflows import this.
 */

/** Attempts before a still-refused submit fails the render (about 40 minutes at the cap). */
export const SUBMIT_MAX_ATTEMPTS = 50;
const BASE_MS = 2000;
const CAP_MS = 60_000;

/** The provider's own hint (Retry-After, or the activity's jittered backoff) wins when present. */
export function submitRetryDelayMs(attempt: number, hintMs?: number): number {
  if (hintMs !== undefined && hintMs >= 0) return Math.min(hintMs, 10 * CAP_MS);
  return Math.min(CAP_MS, BASE_MS * 2 ** Math.max(0, attempt - 1));
}
