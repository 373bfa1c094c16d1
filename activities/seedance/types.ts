/**
 * The provider-neutral view of a Seedance task that activities return to workflows.
 * Both API families normalize into this shape; it carries references only (URLs), never bytes.
 */
import type { ApiFamily, ResolvedShot } from '../../common/shot';
import type { VideoFacts } from '../../common/render';

import type { TaskStatus } from '../../common/states';
import type { CallbackPlan } from '../../common/callbacks';
export { TASK_STATUSES, type TaskStatus } from '../../common/states';

export interface TaskSnapshot extends VideoFacts {
  taskId: string;
  api: ApiFamily;
  status: TaskStatus;
  /** The provider's own status word (`processing`, `completed`, ...). */
  rawStatus: string;
  videoUrl?: string;
  lastFrameUrl?: string;
  /** Why an output URL the provider gave was dropped (see output-urls.ts), for the failure message. */
  outputUrlRefused?: string;
  fps?: number;
  error?: { code?: string; message?: string };
}

export interface SubmitResult {
  taskId: string;
  api: ApiFamily;
  model: string;
  /** Present when the submit carried a callback URL: how the workflow watches the task then. */
  callbacks?: CallbackPlan;
  /** Set by the workflow when an ambiguous submit was settled by finding its task. */
  adoptedBy?: 'callback' | 'task-list';
}

/** Provider-ready URLs of a shot's reference videos and audio clips, in shot order. */
export interface ReferenceMedia {
  videos: string[];
  audios: string[];
}

/** A submit request built and checked, ready to POST: preparing it sends nothing. */
export interface PreparedSubmit {
  api: ApiFamily;
  model: string;
  /** Path under the provider's base URL. */
  path: string;
  body: unknown;
}

/** One API family's HTTP calls. Implementations throw ProviderError, nothing else. */
export interface SeedanceFamilyClient {
  readonly api: ApiFamily;
  /**
   * Builds and validates the request body (throws zod errors for a shot the family cannot
   * express). `images` are provider-ready URLs (http(s) or data URLs), in shot order; `media`
   * the same for the shot's reference videos and audio clips (Seedance 2.0, tasks family only).
   */
  prepare(shot: ResolvedShot, images: string[], media?: ReferenceMedia): PreparedSubmit;
  /** POSTs a prepared request once, and nothing else. */
  send(prepared: PreparedSubmit): Promise<SubmitResult>;
  /** prepare + send, for tools that need no attempt bookkeeping (benchmarks). */
  submit(shot: ResolvedShot, images: string[]): Promise<SubmitResult>;
  get(taskId: string): Promise<TaskSnapshot>;
  /** `undefined` when the family has no cancel call. */
  cancel?(taskId: string): Promise<void>;
  /** One page of the account's recent tasks of a model, newest first; `undefined` when the family has no list call. */
  list?(pageNum: number, pageSize: number, model: string): Promise<unknown[]>;
}
