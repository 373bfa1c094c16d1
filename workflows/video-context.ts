/**
 * Where a render sits: the storyboard and shot it renders for (for logs), and the parent
 * that listens to its phases. Both read from the workflow's own info.
 */
import { workflowInfo } from '@temporalio/workflow';
import type { ParentRef } from '../common/phase-events';

/**
 * Storyboard and shot ids for logs, from the `<storyboardId>/<shotId>` workflow id of storyboard
 * shots (`<storyboardId>/<shotId>/silent` for a silent retry, common/storyboard.ts).
 */
export function shotContext(): { storyboardId?: string; shotId?: string } {
  const m = /^([^/]+)\/([^/]+)(?:\/silent)?$/.exec(workflowInfo().workflowId);
  return m ? { storyboardId: m[1] as string, shotId: m[2] as string } : {};
}

/**
 * The storyboard this shot's activities tell about its phases: the parent, when asked to.
 * The activities send them in batches (activities/phase-relay.ts); the workflow itself
 * sends nothing, so progress costs its history no events and the render no time.
 */
export function parentRef(notifyParent: boolean): ParentRef | undefined {
  const { parent } = workflowInfo();
  return notifyParent && parent ? { parentWorkflowId: parent.workflowId } : undefined;
}
