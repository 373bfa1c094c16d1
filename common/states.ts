/**
 * The glossary of states: every state a storyboard's shot, a manifest line, a render and a
 * storyboard run can be in, each with one spelling (snake_case, as it appears in JSON, the
 * manifest, report.html and the CLI) and one line saying what it means. Counts are keyed by
 * these same names (`counts.not_started`).
 *
 * No I/O: workflows import this module.
 */

/**
 * Where a storyboard's shot stands, in the order a shot moves through them: a shot only
 * moves forward (`pending` → `submitted` → `rendering` → `copying` → `stored` or `failed`).
 * `not_started` is the end of a shot that was never launched.
 */
export const SHOT_STATES = ['pending', 'submitted', 'rendering', 'copying', 'stored', 'failed', 'not_started'] as const;
export type ShotState = (typeof SHOT_STATES)[number];
export const SHOT_STATE_MEANING: Record<ShotState, string> = {
  pending: 'waiting for a place in the window, or launched and not yet accepted by the provider',
  submitted: 'the provider accepted the task; it is queued there',
  rendering: 'the provider is rendering the video',
  copying: 'the video is being copied into storage',
  stored: 'the video is in storage (now, or by an earlier run)',
  failed: 'the shot ended without a video; its manifest line says why',
  not_started: 'never launched: the failure tolerance stopped the storyboard first',
};

/** The shot states a shot's activities report to its storyboard while its child runs (the `shotPhases` signal). */
export const SHOT_PHASES = ['submitted', 'rendering', 'copying'] as const satisfies readonly ShotState[];
export type ShotPhase = (typeof SHOT_PHASES)[number];

/** How a shot ended, as its manifest line says: the finished shot states. */
export const MANIFEST_STATUSES = ['stored', 'failed', 'not_started'] as const satisfies readonly ShotState[];
export type ManifestStatus = (typeof MANIFEST_STATUSES)[number];
export const MANIFEST_STATUS_MEANING: Record<ManifestStatus, string> = {
  stored: 'the video is in storage: key, url, sha256 and bytes say where',
  failed: 'no video: failureType and failureMessage say why, taskId which task it was',
  not_started: 'never launched: the failure tolerance stopped the storyboard first',
};

/** Where one render (a renderVideo workflow) stands, as `renderVideoProgressQuery` answers. */
export const RENDER_PHASES = ['validating', 'submitting', 'polling', 'copying', 'stored', 'failed', 'cancelled'] as const;
export type RenderPhase = (typeof RENDER_PHASES)[number];
export const RENDER_PHASE_MEANING: Record<RenderPhase, string> = {
  validating: 'checking the input; nothing was sent',
  submitting: 'sending the one paid submit (retried only where nothing was accepted)',
  polling: 'the task exists; polling it on durable timers until it ends',
  copying: 'the task succeeded; its video is being copied into storage',
  stored: 'the video is in storage',
  failed: 'ended with a typed failure (common/errors.ts)',
  cancelled: 'cancelled by its caller; the provider task was cancelled where the family allows it',
};

/** Where a storyboard run stands, as `seedance-flow status` reports it (from Temporal's execution status). */
export const STORYBOARD_RUN_STATUSES = ['running', 'completed', 'failed', 'cancelled', 'terminated', 'timed_out', 'unknown'] as const;
export type StoryboardRunStatus = (typeof STORYBOARD_RUN_STATUSES)[number];
export const STORYBOARD_RUN_STATUS_MEANING: Record<StoryboardRunStatus, string> = {
  running: 'launching and following shots (possibly paused)',
  completed: 'every shot has its manifest line; manifest.json and report.html are written',
  failed: 'the storyboard itself failed (invalid input); its shots keep what they stored',
  cancelled: 'cancelled; its running shots were cancelled with it',
  terminated: 'terminated by an operator',
  timed_out: 'passed its workflow timeout',
  unknown: 'Temporal reports a status this version does not know',
};

/** A provider task's status, normalized across both API families and the gateways' spellings. */
export const TASK_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'expired', 'cancelled', 'unknown'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
export const TASK_STATUS_MEANING: Record<TaskStatus, string> = {
  queued: "accepted, waiting for the account's concurrency (`created` at some gateways)",
  running: 'rendering (`processing`, `in_progress`)',
  succeeded: 'finished with a video (`completed`)',
  failed: 'finished without a video; its error says why',
  expired: 'waited past execution_expires_after and never ran',
  cancelled: 'cancelled while queued',
  unknown: 'a status word this version does not know: reported, never a crash',
};
