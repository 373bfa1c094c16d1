/**
 * Inputs, results and progress of the renderVideo workflow: the types other teams' workflows
 * and services program against. No I/O: workflows import this module.
 */
import { z } from 'zod';
import { sharedSchema } from './shared-schema';
import { PollScheduleSchema } from './poll-schedule';
import { ShotSchema, type ApiFamily } from './shot';
import type { FailureType } from './errors';
import type { RenderPhase } from './states';
import type { HeardFrom } from './callbacks';
import { AdmissionInputSchema } from './admission';
import type { StoredFrame } from './continuity';

export type { RenderPhase } from './states';

/** Longest storage key a render accepts (S3 allows 1024 bytes, including the storage prefix). */
export const STORAGE_KEY_MAX = 512;
const KEY_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * Why `key` may not be a video's storage key, or undefined when it may. A video key is
 * `segment/.../name.mp4`: segments of letters, digits, `. _ -` that do not start with a dot
 * (so no `..`, no `.state/`), no empty segment (no leading `/`, no `//`), and nothing that
 * names another object a storyboard keeps: manifests and records end in `.json`, temporary
 * files contain `.partial-`.
 */
export function storageKeyProblem(key: string): string | undefined {
  if (key.length === 0 || key.length > STORAGE_KEY_MAX) return `storage key must be 1-${STORAGE_KEY_MAX} characters`;
  const segments = key.split('/');
  if (segments.some((s) => s === '')) return 'storage key may not start or end with / or contain //';
  if (segments.some((s) => s === '..' || s === '.')) return 'storage key may not contain . or .. segments';
  if (segments.some((s) => s.startsWith('.')))
    return 'storage key segments may not start with a dot (.state/ and hidden names are reserved)';
  if (!segments.every((s) => KEY_SEGMENT.test(s))) return 'storage key: letters, digits, . _ - and / between segments only';
  if (key.includes('.partial-')) return 'storage key may not contain .partial- (temporary files)';
  if (!key.endsWith('.mp4')) return 'storage key must name a video: end in .mp4 (manifests, records and .json names are reserved)';
  return undefined;
}

export const RenderVideoInputSchema = sharedSchema('render.RenderVideoInputSchema', () =>
  z.object({
    shot: ShotSchema,
    /**
     * Object key (relative to the storage prefix) for the video. Deterministic so a re-run
     * finds the object; defaults to `videos/<workflowId>.mp4`. See {@link storageKeyProblem}.
     */
    storageKey: z
      .string()
      .superRefine((k, ctx) => {
        const problem = storageKeyProblem(k);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    schedule: PollScheduleSchema.partial().optional(),
    /** Consecutive unknown statuses tolerated before failing with UnknownTaskStatus. */
    maxUnknownStatusPolls: z.number().int().min(1).max(100).default(5),
    /**
     * Tell the parent workflow about phase changes (submitted, rendering, copying) as batched
     * `shotPhases` signals, sent by the activities (set by renderStoryboard).
     */
    notifyParent: z.boolean().default(false),
    /**
     * Account-wide admission control: the account whose limiter grants this render's lease, its
     * priority (1-5) and fairness group. Absent: no limiter (set by the client when SEEDANCE_ADMISSION is on).
     */
    admission: AdmissionInputSchema.optional(),
  }),
);
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
  /** The video's last frame, stored beside it, when the shot asked for it (common/continuity.ts). */
  lastFrame?: StoredFrame;
  /** Why a last frame that was asked for is not there. */
  lastFrameMissing?: string;
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
  /** The provider task: for a draft (`shot.draft`), the draft task id a final references as `draft_task_id`. */
  taskId: string;
  /** The video is a draft (Seedance 1.5 pro, 480p): render its final with `shot.draft_task_id: taskId`. */
  draft?: true;
  /** A final: the draft task it was rendered from. */
  draftTaskId?: string;
  api: ApiFamily;
  model: string;
  storage: StoredObject;
  polls: number;
}

/** What `renderVideoProgressQuery` answers at any moment. */
export interface RenderVideoProgress {
  phase: RenderPhase;
  taskId?: string;
  polls: number;
  /** Normalized status of the last poll. */
  lastStatus?: string;
  /** The provider's own word for it, e.g. `processing`. */
  lastRawStatus?: string;
  /** Set when the render failed: the failure's type and its full message. */
  failure?: { type: FailureType; message: string };
  storageKey?: string;
  /** How the task was last heard from: its submit's answer, a poll, or a provider callback. */
  heardFrom?: HeardFrom;
  /** When, epoch milliseconds. */
  lastHeardAt?: number;
  /** Whether the provider calls back for this task (polling is then a slow safety net). */
  callbacks?: boolean;
  /** How an ambiguous submit was settled: its callback, or the provider's task list. */
  adoptedBy?: 'callback' | 'task-list';
}
