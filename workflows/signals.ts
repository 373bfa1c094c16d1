/**
 * Signals, queries and updates shared by the storyboard workflow, its shot children and the
 * CLI. Exported constants, so callers never spell the names by hand.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { ShotPhaseEvent } from '../common/phase-events';
import type { StoryboardProgress } from '../common/storyboard';

export type { ShotPhaseEvent } from '../common/phase-events';

/**
 * Phase changes of a storyboard's children, batched. Sent by the worker's activities (see
 * activities/phase-reporter.ts), not by the children: a child signalling its parent costs both
 * histories events and an extra workflow task each, which the benchmark measured as most of the
 * storyboard's overhead. Progress only: outcomes come from the children's completions.
 */
export const shotPhasesSignal = defineSignal<[{ updates: ShotPhaseEvent[] }]>('shotPhases');

/** Counts by state, per-shot state, tokens used, window, pause state: at any moment. */
export const storyboardProgressQuery = defineQuery<StoryboardProgress>('storyboardProgress');
/** Stop launching new shots; shots in flight finish. */
export const pauseSignal = defineSignal<[reason?: string]>('pause');
/** Continue after a pause (manual, or insufficient balance). */
export const resumeSignal = defineSignal('resume');
/** Change the sliding window while running; answers the window now in force. */
export const setWindowUpdate = defineUpdate<number, [number]>('setWindow');
