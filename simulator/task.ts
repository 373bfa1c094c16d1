/**
 * A simulated task and its time model. Nothing runs in the background: a task's status is
 * derived from the clock whenever it is asked for, from timestamps fixed at creation.
 * That keeps the simulator free of timers and makes every status transition exact.
 */
import type { ApiFamily, ClipMode, StatusNames, TaskStatus } from './types';
import type { VideoRequest } from './validation';

/** How a task ends if nobody cancels it. */
export type TaskOutcome = { status: 'succeeded' } | { status: 'failed'; code: string; message: string } | { status: 'expired' };

/** A task record. Timestamps are epoch milliseconds. */
export interface SimTask {
  readonly id: string;
  readonly family: ApiFamily;
  readonly model: string;
  readonly prompt: string;
  readonly request: VideoRequest;
  /** The seed the "render" used: the requested one, or a random one for -1/absent. */
  readonly seed: number;
  readonly createdAt: number;
  /** When `queued` turns `running` (equal to terminalAt for a task that never runs). */
  readonly runningAt: number;
  /** When the outcome becomes visible. */
  readonly terminalAt: number;
  readonly outcome: TaskOutcome;
  /** Reported instead of the running status (`[sim:status=NAME]`). */
  readonly rawRunningStatus?: string;
  /** Size of the generated video (`[sim:size=BYTES]`); absent = the sample MP4. */
  readonly videoSize?: number;
  /** The clip its links serve, fixed at creation so that its video and last frame always match. */
  readonly clips: ClipMode;
  /** `[sim:label=TEXT]`: what a labelled clip shows (clip-label.ts). */
  readonly label?: string;
  /** The output link answers 404 (`[sim:gone]`). */
  readonly gone: boolean;
  /** Set by DELETE on a queued task. */
  cancelledAt?: number;
  /** Set by DELETE on a finished task: queries answer 404, the output link still works. */
  deleted: boolean;
}

/** The canonical status of a task at time `now`. */
export function statusAt(task: SimTask, now: number): TaskStatus {
  if (task.cancelledAt !== undefined) return 'cancelled';
  if (now < task.runningAt) return 'queued';
  if (now < task.terminalAt) return 'running';
  return task.outcome.status;
}

/** When the status reported at `now` began (the provider's `updated_at`). */
export function statusSince(task: SimTask, now: number): number {
  if (task.cancelledAt !== undefined) return task.cancelledAt;
  if (now < task.runningAt) return task.createdAt;
  if (now < task.terminalAt) return task.runningAt;
  return task.terminalAt;
}

/** When the task stops counting as in flight: its cancellation or its terminal time. */
export function endsAt(task: SimTask): number {
  return task.cancelledAt ?? task.terminalAt;
}

const GATEWAY_NAMES: Partial<Record<TaskStatus, string>> = {
  queued: 'created',
  running: 'processing',
  succeeded: 'completed',
};

/** The status as spelled on the wire, honouring the naming scheme and `[sim:status=...]`. */
export function wireStatus(task: SimTask, now: number, names: StatusNames): string {
  const status = statusAt(task, now);
  if (status === 'running' && task.rawRunningStatus !== undefined) return task.rawRunningStatus;
  return names === 'gateway' ? (GATEWAY_NAMES[status] ?? status) : status;
}

/** Timing inputs of a new task. */
export interface TimelineInput {
  createdAt: number;
  queueMs: number;
  renderMs: number;
  outcome: TaskOutcome;
  /** `execution_expires_after`, in seconds. */
  expiresAfterSeconds?: number;
  /** With an account concurrency: when a slot frees for it (it stays queued until then and renders for the same time after). */
  slotFreeAt?: number;
}

/** The resulting timestamps and outcome. */
export interface Timeline {
  runningAt: number;
  terminalAt: number;
  outcome: TaskOutcome;
}

/**
 * Lays out a task's life: queued for `queueMs`, running until `renderMs` after creation,
 * then the outcome. Expiry happens while the task still waits, so an expiring task never
 * runs; and a task still queued when `execution_expires_after` elapses expires then.
 */
export function planTimeline(input: TimelineInput): Timeline {
  const { createdAt, outcome } = input;
  const ready = createdAt + Math.min(input.queueMs, input.renderMs);
  const waited = Math.max(0, (input.slotFreeAt ?? ready) - ready);
  const terminalAt = createdAt + input.renderMs + waited;
  const runningAt = ready + waited;
  if (outcome.status === 'expired') return { runningAt: terminalAt, terminalAt, outcome };
  if (input.expiresAfterSeconds !== undefined && input.expiresAfterSeconds >= 0) {
    const expiresAt = createdAt + input.expiresAfterSeconds * 1000;
    if (expiresAt < runningAt) return { runningAt: expiresAt, terminalAt: expiresAt, outcome: { status: 'expired' } };
  }
  return { runningAt, terminalAt, outcome };
}
