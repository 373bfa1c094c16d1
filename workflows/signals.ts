/**
 * Signals, queries and updates shared by the storyboard workflow, its shot children and the
 * CLI. Exported constants, so callers never spell the names by hand.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { StoryboardProgress } from '../common/storyboard';

/** A child renderVideo tells its storyboard what it is doing (submitted, rendering, copying). */
export interface ShotPhaseEvent {
  workflowId: string;
  phase: 'submitted' | 'rendering' | 'copying';
  taskId?: string;
}
export const shotPhaseSignal = defineSignal<[ShotPhaseEvent]>('shotPhase');

/** Counts by state, per-shot state, tokens used, window, pause state: at any moment. */
export const storyboardProgressQuery = defineQuery<StoryboardProgress>('storyboardProgress');
/** Stop launching new shots; shots in flight finish. */
export const pauseSignal = defineSignal<[reason?: string]>('pause');
/** Continue after a pause (manual, or insufficient balance). */
export const resumeSignal = defineSignal('resume');
/** Change the sliding window while running; answers the window now in force. */
export const setWindowUpdate = defineUpdate<number, [number]>('setWindow');
