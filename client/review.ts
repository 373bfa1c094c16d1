/**
 * Typed helpers for a draft-mode storyboard's review (common/review.ts): approve drafts, reject
 * one to have it drafted again with changes, or finish the review. Each is a workflow update,
 * so a refused one (unknown shot, already approved or final, not in draft mode) throws with the
 * storyboard's reason and changes nothing.
 */
import { WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { ApproveRequest, RejectRequest, ReviewAnswer } from '../common/review';
import { approveUpdate, finishReviewUpdate, rejectUpdate } from '../workflows';

/** Why an update was refused, as the storyboard's validator said it; other errors as they are. */
export class ReviewRefusedError extends Error {}

async function refusedAs<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new ReviewRefusedError((err.cause as Error | undefined)?.message ?? err.message);
    throw err;
  }
}

/**
 * Approves shots (or `{ all: true }`: every shot awaiting approval); each renders its final from its draft.
 *
 * @example
 *   const { shots } = await approveShots(client, 'teaser', { shots: ['s01', 's02'] });
 */
export function approveShots(client: Client, storyboardId: string, request: ApproveRequest): Promise<ReviewAnswer> {
  return refusedAs(() => client.workflow.getHandle(storyboardId).executeUpdate(approveUpdate, { args: [request] }));
}

/**
 * Rejects a shot's draft: it is drafted again with the changes and returns to review.
 *
 * @example
 *   await rejectShot(client, 'teaser', { shotId: 's03', prompt: 'the same, at dusk' });
 */
export function rejectShot(client: Client, storyboardId: string, request: RejectRequest): Promise<ReviewAnswer> {
  return refusedAs(() => client.workflow.getHandle(storyboardId).executeUpdate(rejectUpdate, { args: [request] }));
}

/** Ends the review: unapproved shots end `not_started` (`not approved`); answers them. */
export function finishReview(client: Client, storyboardId: string): Promise<ReviewAnswer> {
  return refusedAs(() => client.workflow.getHandle(storyboardId).executeUpdate(finishReviewUpdate, { args: [] }));
}
