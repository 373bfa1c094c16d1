/**
 * Public types of the Seedance API simulator: its configuration, scripted faults and the
 * statistics it exposes to tests. Kept apart from the implementation so that callers (the
 * CLI, integration tests) can import them without pulling in the HTTP server.
 */

/** Canonical task statuses, named as Volcengine Ark names them. */
export type TaskStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'expired' | 'cancelled';

/** The two API families the simulator serves (see the seed documents). */
export type ApiFamily = 'tasks' | 'predictions';

/**
 * How statuses are spelled on the wire: `standard` is Ark's queued/running/succeeded,
 * `gateway` renames them created/processing/completed (failed, expired, cancelled stay).
 */
export type StatusNames = 'standard' | 'gateway';

/** Probabilities (0..1) of random misbehaviour, drawn from the seeded PRNG. */
export interface SimulatorRates {
  /** Per submit and per status GET: answer 429. */
  rateLimit: number;
  /** Per submit and per status GET: answer 500. */
  serverError: number;
  /** Per created task: the task ends `failed` with InternalServiceError. */
  failed: number;
  /** Per created task: the task waits in `queued` and ends `expired`. */
  expired: number;
  /** Per created task: the task ends `failed` with OutputVideoSensitiveContentDetected. */
  contentPolicy: number;
  /**
   * Per created task with sound: the task ends `failed` with OutputAudioSensitiveContentDetected
   * (a silent render, `generate_audio: false`, succeeds instead).
   */
  audioPolicy: number;
}

/**
 * How the simulator calls back a task's `callback_url` (tasks family), as the provider does:
 * a POST of the task body (the shape of a GET) on every status change, retried when no 2xx
 * arrives within `timeoutMs`. The rates are faults a receiver must survive; each is drawn per
 * status change from the seeded PRNG.
 */
export interface SimulatorCallbacks {
  /** How long one delivery may take before it counts as failed (the provider's ~5 s). */
  timeoutMs: number;
  /** Further tries after a failed delivery (the provider's ~3). */
  retries: number;
  /** Wait between tries. */
  retryDelayMs: number;
  /** Delay from the status change to the first try. */
  delayMs: number;
  /** The callback of a status change is never sent. */
  lossRate: number;
  /** It is sent twice. */
  duplicateRate: number;
  /** It is held back `lateMs` more: it arrives after later ones (reordered) or after a safety poll (late). */
  lateRate: number;
  lateMs: number;
  /** A forged copy claiming `succeeded` is also sent to the same receiver with a wrong token. */
  forgeRate: number;
}

/** Runtime behaviour of the simulator; every field has a default (see `DEFAULT_CONFIG`). */
export interface SimulatorConfig {
  /** Milliseconds from creation to the terminal status. */
  renderMs: number;
  /** Milliseconds a new task stays `queued` before `running`. */
  queueMs: number;
  statusNames: StatusNames;
  /** true: seed/created_at/updated_at as strings (gateway example); false: numbers (Ark). */
  numbersAsStrings: boolean;
  /** How long output links stay downloadable after the task succeeded; then 403. */
  outputTtlMs: number;
  rates: SimulatorRates;
  /** Seed of the PRNGs behind rates, ids and video seeds, so that runs are reproducible. */
  randomSeed: number;
  /** `Retry-After` seconds sent with random 429s; null sends no header. */
  retryAfterSeconds: number | null;
  /** How callbacks are delivered, and their faults. */
  callbacks: SimulatorCallbacks;
  /** How long the task list shows a task (the provider's ~7 days); cancelled ones show ~24 h. */
  listRetentionMs: number;
  /**
   * The account's real concurrency per model: at most this many tasks of a model run at once;
   * the others stay `queued` until a slot frees, first come first served. null: unlimited.
   */
  accountConcurrency: number | null;
  /** Submits are answered 429 (with `retryAfterSeconds`) while this many tasks are queued or running. null: never. */
  maxTasksInFlight: number | null;
  /**
   * What a succeeded task's video link serves. `sample` (default, and what benchmarks use): the
   * one bundled sample clip, nothing computed per task. `labelled`: a small clip per shot made by
   * ffmpeg on first download (its label, ratio, duration and resolution drawn on a test pattern,
   * at the requested ratio and duration), cached, so that a report of simulated renders shows
   * which is which (clips.ts). Either way `last_frame_url` serves the last frame of that clip.
   */
  clips: ClipMode;
}

/** See `SimulatorConfig.clips`. */
export type ClipMode = 'sample' | 'labelled';

/**
 * A configuration patch. A superset of `Partial<SimulatorConfig>`: `rates` may itself be
 * partial and is merged key by key into the current rates.
 */
export type SimulatorConfigPatch = Partial<Omit<SimulatorConfig, 'rates' | 'callbacks'>> & {
  rates?: Partial<SimulatorRates>;
  callbacks?: Partial<SimulatorCallbacks>;
};

/** Which requests a fault applies to; `any` matches every API and download request. */
export type FaultTarget = 'submit' | 'get' | 'list' | 'download' | 'cancel' | 'any';

/**
 * A scripted fault. Faults are queued and consumed in order: each matching request takes the
 * first fault whose `on` matches it, and the fault is dropped once used `times` times.
 *
 * A fault answers an error response (`status`, default 500, or 429 when only `retryAfter` is
 * given) unless it only delays (`delayMs` alone), hangs, accepts-then-hangs or is malformed.
 */
export interface Fault {
  on: FaultTarget;
  /** HTTP status to answer. */
  status?: number;
  /** `Retry-After` header value in seconds. */
  retryAfter?: number;
  /** Raw response text (HTML, '' ...) instead of the standard JSON error body. */
  body?: string;
  /** How many matching requests this fault applies to (default 1). */
  times?: number;
  /** Answer this late; alone, the normal answer is just delayed. */
  delayMs?: number;
  /** Never answer: the socket stays open until `close()`. */
  hang?: boolean;
  /**
   * The request takes effect (a submit creates and counts its task) but is never answered:
   * the ambiguous case a client must resolve without resubmitting.
   */
  acceptThenHang?: boolean;
  /**
   * The request takes effect but its connection is reset instead of answered: the client
   * sees a dropped connection at once (the ambiguous case, without waiting for a timeout).
   */
  acceptThenDrop?: boolean;
  /** API requests: 200 with invalid JSON. Downloads: the body is cut off halfway. */
  malformed?: boolean;
}

/** One created task as seen by `stats()`. */
export interface SimulatorTaskStats {
  id: string;
  family: ApiFamily;
  model: string;
  /** The prompt text as submitted, directives included. */
  prompt: string;
  /** Canonical status now (a `[sim:status=...]` task still reports `running` here). */
  status: TaskStatus;
  /** Creation time, epoch milliseconds. */
  createdAt: number;
  /** How many tasks were created with this same prompt (duplicates show as > 1). */
  submissions: number;
  /** Submitted with `draft: true`. */
  draft: boolean;
  /** A final: the draft it was rendered from (it counts under the draft's prompt unless it sent text). */
  draftTaskId?: string;
  /** The render has sound (`generate_audio` not false, on a model that makes sound). */
  audio: boolean;
  /** Reference items submitted (a final reports its draft's). */
  references: { images: number; videos: number; audios: number };
  /** The images submitted, in order: role and sha256 of a data URL's bytes, or the URL. */
  images?: { role?: string; sha256?: string; url?: string }[];
}

/** What happened to the callbacks since start or the last `reset()`. */
export interface CallbackStats {
  /** Status changes whose callback was scheduled (lost ones included). */
  scheduled: number;
  /** POST attempts made (retries and duplicates included). */
  attempts: number;
  /** Callbacks answered 2xx. */
  delivered: number;
  /** Callbacks given up after every retry failed (dead receiver, non-2xx, timeouts). */
  failed: number;
  /** Status changes whose callback the `lossRate` fault dropped. */
  lost: number;
  /** Extra copies sent by the `duplicateRate` fault. */
  duplicated: number;
  /** Callbacks held back by the `lateRate` fault. */
  late: number;
  /** Forged callbacks (wrong token) sent. */
  forged: number;
  /** Answers received for forged callbacks, by HTTP status. */
  forgedAnswers: Record<string, number>;
}

/** Counters since start or the last `reset()`. */
export interface SimulatorStats {
  /** Tasks actually created. */
  submissions: number;
  /** Submit requests received, whatever their outcome. */
  submitAttempts: number;
  /** Status GET requests (both families). */
  getRequests: number;
  /** Requests on the video and last-frame download links. */
  downloads: number;
  /** DELETE requests on tasks. */
  cancels: number;
  /** Task-list requests (`GET .../tasks?...`). */
  listRequests: number;
  /** Callback deliveries (tasks family `callback_url`). */
  callbacks: CallbackStats;
  /** Most tasks created and not yet terminal at any one moment (terminal = its status time). */
  maxConcurrent: number;
  /** Peak number of tasks running (not queued) at once: with `accountConcurrency`, at most that. */
  maxRunning: number;
  /**
   * Submit requests received and not yet answered or dropped (a hung or accept-then-hung
   * submit stays in flight until its connection closes). With `lastSubmitAt` it lets a test
   * pick a moment when no submit outcome can be ambiguous, e.g. to kill a worker.
   */
  submitsInFlight: number;
  /**
   * Epoch milliseconds of the latest submit event: when the most recent submit was answered
   * (or dropped), or received if that is later (one still open). Null before the first submit.
   */
  lastSubmitAt: number | null;
  tasks: SimulatorTaskStats[];
  /** Created tasks per prompt text. */
  submissionsByPrompt: Record<string, number>;
}
