/**
 * The storyboard's failure tolerance check, pure so that both the workflow and its unit tests
 * use the one definition.
 */
import type { Tolerance } from './storyboard';

/** Below this many finished shots a failure share says too little to stop a storyboard. */
export const MIN_SHOTS_FOR_PERCENT = 10;

/** True once failures pass the tolerance: an absolute count, or a share after 10 finished shots. */
export function exceeds(tolerance: Tolerance, failed: number, finished: number): boolean {
  if (tolerance.maxFailures !== undefined && failed > tolerance.maxFailures) return true;
  if (
    tolerance.maxFailurePercent !== undefined &&
    finished >= MIN_SHOTS_FOR_PERCENT &&
    (failed / finished) * 100 > tolerance.maxFailurePercent
  ) {
    return true;
  }
  return false;
}
