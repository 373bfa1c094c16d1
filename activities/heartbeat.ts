/**
 * Liveness heartbeats for activities whose work is made of calls that can each take a while
 * (storage reads and writes). With a short heartbeat timeout, a worker that dies mid-activity
 * is noticed in seconds and the activity runs again elsewhere, instead of waiting out its
 * start-to-close timeout. A live but stuck call is bounded by the storage client's own
 * timeouts and the start-to-close timeout, not by these beats.
 */
import { Context } from '@temporalio/activity';

/** A third of the shortest heartbeat timeout the workflows set (10 s). */
export const LIVENESS_BEAT_MS = 3000;

/** The activity's context when running as one; undefined when called directly (tools, tests of the storage logic). */
export function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Runs `work` while heartbeating every `everyMs` with `details()` (when given). */
export async function whileHeartbeating<T>(work: () => Promise<T>, details?: () => unknown, everyMs = LIVENESS_BEAT_MS): Promise<T> {
  const ctx = activityContext();
  // Called as a plain function: nobody to tell.
  if (!ctx) return work();
  const beat = () => ctx.heartbeat(details?.());
  beat();
  const timer = setInterval(beat, everyMs);
  timer.unref();
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
