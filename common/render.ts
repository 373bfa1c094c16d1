/**
 * Inputs, results and progress of the renderVideo workflow: the types other teams' workflows
 * and services program against. No I/O: workflows import this module.
 */
import { z } from 'zod';
import { PollScheduleSchema } from './poll-schedule';
import { ShotSchema, type ApiFamily } from './shot';
import type { FailureType } from './errors';

export const RenderVideoInputSchema = z.object({
  shot: ShotSchema,
  /**
   * Object key (relative to the storage prefix) for the video. Deterministic so a re-run
   * finds the object; defaults to `videos/<workflowId>.mp4`.
   */
  storageKey: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._\-/]*$/, 'storage key: letters, digits, . _ - / only')
    .refine((k) => !k.split('/').includes('..'), 'storage key may not contain ..')
    .optional(),
  schedule: PollScheduleSchema.partial().optional(),
  /** Consecutive unknown statuses tolerated before failing with UnknownTaskStatus. */
  maxUnknownStatusPolls: z.number().int().min(1).max(100).default(5),
  /**
   * Report phase changes (submitted, rendering, copying) to the parent workflow as batched
   * `shotPhases` signals, sent by the activities (set by renderStoryboard).
   */
  notifyParent: z.boolean().default(false),
});
export type RenderVideoInput = z.input<typeof RenderVideoInputSchema>;

export interface Usage {
  completionTokens?: number;
  totalTokens?: number;
}

export interface StoredObject {
  /** Object key relative to the storage root, e.g. `renders/videos/abc.mp4`. */
  key: string;
  /** `s3://bucket/key` or `file:///abs/path`. */
  url: string;
  sha256: string;
  bytes: number;
  /** True when the object was already there from an earlier run and was not copied again. */
  skipped: boolean;
}

/** What the provider reports about a finished video (both families, where present). */
export interface VideoFacts {
  seed?: number;
  usage?: Usage;
  duration?: number;
  frames?: number;
  resolution?: string;
  ratio?: string;
}

export interface RenderVideoResult extends VideoFacts {
  status: 'stored';
  taskId: string;
  api: ApiFamily;
  model: string;
  storage: StoredObject;
  polls: number;
}

export type RenderPhase = 'validating' | 'submitting' | 'polling' | 'copying' | 'stored' | 'failed' | 'cancelled';

/** What `renderVideoProgressQuery` answers at any moment. */
export interface RenderVideoProgress {
  phase: RenderPhase;
  taskId?: string;
  polls: number;
  /** Normalized status of the last poll. */
  lastStatus?: string;
  /** The provider's own word for it, e.g. `processing`. */
  lastRawStatus?: string;
  failure?: { type: FailureType | string; message: string };
  storageKey?: string;
}
