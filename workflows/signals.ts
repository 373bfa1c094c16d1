/**
 * Signals, queries and updates shared by the storyboard workflow, its shot children and the
 * CLI. Exported constants, so callers never spell the names by hand. The storyboard's
 * handlers are installed in storyboard-handlers.ts.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ShotPhaseEvent } from '../common/phase-events';
import type { BudgetView } from '../common/budget';
import type { StoryboardProgress } from '../common/storyboard';

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
