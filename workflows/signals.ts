/**
 * Signals, queries and updates shared by the storyboard workflow, its shot children and the
 * CLI. Exported constants, so callers never spell the names by hand. The storyboard's
 * handlers are installed in storyboard-handlers.ts.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ShotPhaseEvent } from '../common/phase-events';
import type { BudgetView } from '../common/budget';
import type { StoryboardProgress } from '../common/storyboard';
import type { ApproveRequest, RejectRequest, ReviewAnswer } from '../common/review';

export type { ShotPhaseEvent } from '../common/phase-events';

/**
 * Phase changes of a storyboard's children, batched. Sent by the worker's activities (see
 * activities/phase-relay.ts), not by the children: a child signalling its parent costs both
 * histories events and an extra workflow task each, which the benchmark measured as most of the
 * storyboard's overhead. Progress only: outcomes come from the children's completions.
 */
export const shotPhasesSignal = defineSignal<[{ updates: ShotPhaseEvent[] }]>('shotPhases');

/**
 * Counts by state, per-shot state, tokens used, window, pause state: at any moment.
 *
 * @example
 *   const p = await client.workflow.getHandle(storyboardId).query(storyboardProgressQuery);
 *   console.log(`${p.counts.stored}/${p.totalShots} stored, ${p.counts.failed} failed${p.paused ? ' (paused)' : ''}`);
 */
export const storyboardProgressQuery = defineQuery<StoryboardProgress>('storyboardProgress');

/**
 * Stop launching new shots; shots in flight finish. The reason shows in progress.
 *
 * @example
 *   await client.workflow.getHandle(storyboardId).signal(pauseSignal, 'budget review');
 *   // or: pauseStoryboard(client, storyboardId) from client/storyboard.ts
 */
export const pauseSignal = defineSignal<[reason?: string]>('pause');

/**
 * Continue after a pause (manual, or insufficient balance).
 *
 * @example
 *   await client.workflow.getHandle(storyboardId).signal(resumeSignal);
 */
export const resumeSignal = defineSignal('resume');

/**
 * Change the sliding window while running; answers the window now in force. A size outside
 * [1, 500] is rejected before it is recorded.
 *
 * @example
 *   const now = await client.workflow.getHandle(storyboardId).executeUpdate(setWindowUpdate, { args: [20] });
 */
export const setWindowUpdate = defineUpdate<number, [number]>('setWindow');

/**
 * Set a storyboard's budget (in its unit: tokens, or the currency it was given in) while it
 * runs; answers where the budget now stands. A storyboard paused with reason `budget` resumes
 * once its next shot fits. Rejected before it is recorded when the storyboard has no budget,
 * or the value is not a positive number at least what is already spent.
 *
 * @example
 *   const now = await client.workflow.getHandle(storyboardId).executeUpdate(setBudgetUpdate, { args: [900_000] });
 *   console.log(`${now.remaining} ${now.unit} left`);
 */
export const setBudgetUpdate = defineUpdate<BudgetView, [number]>('setBudget');

/**
 * Draft mode (common/review.ts): approve shots whose drafts await approval, by id or `all`;
 * each renders its final from its draft (`draft_task_id`), the only time a final is paid for.
 * Answers the shots approved. Rejected before it is recorded for a storyboard not in draft
 * mode, an unknown shot, or one that is not awaiting approval (already approved or final, its
 * draft still rendering, failed).
 *
 * @example
 *   const { shots } = await client.workflow.getHandle(storyboardId).executeUpdate(approveUpdate, { args: [{ shots: ['s01', 's03'] }] });
 */
export const approveUpdate = defineUpdate<ReviewAnswer, [ApproveRequest]>('approveShots');

/**
 * Draft mode: reject a shot's draft; it is drafted again with the changes (`prompt`, `seed`) and
 * returns to review. Rejected before it is recorded on the same grounds as approveUpdate, or
 * when the shot has had its MAX_DRAFTS_PER_SHOT drafts (common/review.ts).
 *
 * @example
 *   await client.workflow.getHandle(storyboardId).executeUpdate(rejectUpdate, { args: [{ shotId: 's02', prompt: 'closer, at dusk' }] });
 */
export const rejectUpdate = defineUpdate<ReviewAnswer, [RejectRequest]>('rejectShot');

/**
 * Draft mode: end the review. Shots awaiting approval (and drafts still rendering, once done)
 * end `not_started` with the reason `not approved`; approved shots still render their finals;
 * the storyboard then completes. Answers the shots left unapproved so far.
 *
 * @example
 *   await client.workflow.getHandle(storyboardId).executeUpdate(finishReviewUpdate, { args: [] });
 */
export const finishReviewUpdate = defineUpdate<ReviewAnswer, []>('finishReview');
