/**
 * Draft mode of a storyboard: every eligible shot renders first as a cheap draft (Seedance 1.5
 * pro, 480p), the storyboard stops at a review point, and only approved shots render their paid
 * final from the draft (`draft_task_id`). What the workflow (workflows/storyboard-review.ts), the
 * CLI (client/commands/review.ts) and the report share. No I/O: workflows import this.
 */
import { z } from 'zod';
import { sharedSchema } from './shared-schema';
import { DRAFT_RESOLUTION, hasDraftMode, inferApi, DEFAULT_MODELS, type ShotInput } from './shot';
import type { TokenRange } from './estimate';
import type { Usage } from './render';

export { DRAFT_RESOLUTION, hasDraftMode } from './shot';

/** How a storyboard renders: finals directly (the default), or drafts first, reviewed. */
export const STORYBOARD_MODES = ['final', 'draft'] as const;
export type StoryboardMode = (typeof STORYBOARD_MODES)[number];

/**
 * A draft-mode storyboard holds at most this many shots. Its review lives in one workflow run
 * (a review can last days, and continuing as new would end it half-way), and each shot costs
 * it two children or more: 500 shots keeps that run's history near a default 1,000-child run.
 */
export const MAX_DRAFT_SHOTS = 500;

/** A shot is drafted at most this many times (the first draft and its re-drafts): bounds one run's history. */
export const MAX_DRAFTS_PER_SHOT = 5;

/**
 * Where a shot stands in the review. A shot moves `drafting` → `awaiting_approval` → (approved)
 * `rendering_final` → `final`, or back to `drafting` when rejected; `not_approved` when the review
 * is finished without it; `direct` renders a final at once (its model has no draft mode).
 */
export const REVIEW_STATES = ['drafting', 'awaiting_approval', 'rendering_final', 'direct', 'final', 'failed', 'not_approved'] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

/**
 * A draft can be rendered as a final for 7 days (the provider's draft-mode guides; the simulator
 * refuses later finals as "draft task not found"). Counted from when the draft was stored, a
 * little after the provider created it, so approvals are refused slightly early, never late.
 */
export const DRAFT_VALID_MS = 7 * 24 * 60 * 60 * 1000;
/** Margin kept before the provider's limit: a final approved just in time still has to be submitted. */
export const DRAFT_EXPIRY_MARGIN_MS = 60 * 60 * 1000;

/** The reason a shot left unapproved when the review finished ends `not_started` with. */
export const NOT_APPROVED_REASON = 'not approved';

/** Why a shot renders its final directly, or undefined when it can be drafted. */
export function noDraftReason(shot: ShotInput): string | undefined {
  const api = shot.api ?? inferApi(shot.model);
  const model = shot.model ?? DEFAULT_MODELS[api];
  if (hasDraftMode(model, api)) return undefined;
  return `model ${model} has no draft mode (drafts are a Seedance 1.5 pro feature): its final renders directly`;
}

/** The shot as its draft: same settings at the draft resolution. */
export function draftShot(shot: ShotInput): ShotInput {
  return { ...shot, draft: true, resolution: DRAFT_RESOLUTION };
}

/**
 * The shot as the final of `draftTaskId`: the provider reuses the draft's prompt, media,
 * duration, ratio, seed and audio, so only what a final may choose travels (its resolution and
 * the tasks-only delivery options); the prompt stays for the stored record.
 */
export function finalShot(shot: ShotInput, draftTaskId: string): ShotInput {
  const { prompt, api, model, resolution, watermark, return_last_frame, execution_expires_after, service_tier } = shot;
  const kept = { api, model, resolution, watermark, return_last_frame, execution_expires_after, service_tier };
  const defined = Object.fromEntries(Object.entries(kept).filter(([, v]) => v !== undefined));
  return { prompt, ...defined, draft_task_id: draftTaskId };
}

/** The draft behind a shot's final, as its manifest line and the review report show it. */
export interface DraftRecord {
  taskId: string;
  key: string;
  url: string;
  sha256: string;
  bytes: number;
  seed?: number;
  usage?: Usage;
  /** Drafts rendered for this shot so far (re-drafts after a reject count). */
  drafts: number;
  /** The prompt it was drafted with, when a reject changed the storyboard's. */
  prompt?: string;
  /** When the provider stops rendering finals from it (epoch ms, workflow clock): {@link DRAFT_VALID_MS} after it was stored. */
  expiresAt: number;
}

/** What `approve` sends: the shots, or every shot awaiting approval. */
export const ApproveRequestSchema = sharedSchema('review.ApproveRequestSchema', () =>
  z
    .object({ shots: z.array(z.string().max(64)).max(MAX_DRAFT_SHOTS).default([]), all: z.boolean().default(false) })
    .strict()
    .refine((r) => r.all !== r.shots.length > 0, { message: 'give shots to approve, or all (not both)' }),
);
export type ApproveRequest = z.input<typeof ApproveRequestSchema>;

/** What `reject` sends: the shot, and what its next draft changes. */
export const RejectRequestSchema = sharedSchema('review.RejectRequestSchema', () =>
  z
    .object({
      shotId: z.string().max(64),
      prompt: z.string().trim().min(1, 'prompt must not be empty').max(4000).optional(),
      seed: z
        .number()
        .int()
        .min(-1)
        .max(2 ** 32 - 1)
        .optional(),
    })
    .strict(),
);
export type RejectRequest = z.input<typeof RejectRequestSchema>;

/** One shot in the review, as status and the review report show it. */
export interface ReviewShotView {
  shotId: string;
  /** Its place in the storyboard. */
  index: number;
  state: ReviewState;
  draft?: DraftRecord;
  /** The final's estimate at its own resolution (tokens, and in the budget's currency with a priced budget). */
  estimatedFinalTokens: TokenRange;
  estimatedFinalCost?: { min: number; max: number; unit: string };
  /** Why it is `direct` or `not_approved`. */
  reason?: string;
}

/** A draft-mode storyboard's review, in its progress (`seedance-flow status`). */
export interface ReviewView {
  mode: 'draft';
  /** At the review point: every draft rendered, some awaiting approval, nothing else to do until someone decides. */
  waitingForReview: boolean;
  /** The review was finished (`finish-review`): shots still unapproved end `not_started`. */
  finished: boolean;
  counts: Record<ReviewState, number>;
  /** Shots awaiting approval, in storyboard order. */
  awaitingApproval: string[];
  shots: ReviewShotView[];
}

/** The answer of the approve, reject and finish-review updates. */
export interface ReviewAnswer {
  /** Shots the update acted on. */
  shots: string[];
}
