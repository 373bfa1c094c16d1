/**
 * What a storyboard hears about its shots while they run, shared by the workflows (which
 * receive it) and the activities (which send it, see activities/phase-relay.ts).
 *
 * No I/O: workflows import this module.
 */

import type { ShotPhase } from './states';

/** The phases a shot passes through while its child workflow runs, in order (common/states.ts). */
export type { ShotPhase } from './states';

/** What a storyboard's child renderVideo is doing (submitted, rendering, copying). */
export interface ShotPhaseEvent {
  /** The child's workflow id. */
  workflowId: string;
  phase: ShotPhase;
  taskId?: string;
}

/**
 * The storyboard a shot's activities tell about its phases: passed by renderVideo to its
 * activities when it runs as a storyboard's child. Absent: nobody is listening.
 */
export interface ParentRef {
  parentWorkflowId: string;
}
