/**
 * When to look at a provider task again. Polls are short activities separated by durable
 * timers, so each one costs a few history events and one GET; the schedule decides how
 * many GETs a render costs and how late we notice it finished.
 *
 * No I/O and no clock: the workflow passes elapsed time in, so this stays deterministic.
 */
import { z } from 'zod';
import { sharedSchema } from './shared-schema';

export const PollScheduleSchema = sharedSchema('poll-schedule.PollScheduleSchema', () =>
  z.object({
    /**
     * Wait before the first poll. Seedance renders take a minute or more, so earlier looks
     * only cost requests: bench/ scenario 2 measured 30% fewer polls than a 10 s start at the
     * same p95 detection latency (renders 1-10 min).
     */
    initialDelayMs: z.number().int().min(0).default(45_000),
    /** Each wait is the previous one times this factor (1: a steady cadence after the first look)... */
    backoffFactor: z.number().min(1).max(10).default(1),
    /** ...up to this cap, so a finished render is noticed within this long. */
    maxIntervalMs: z.number().int().min(1).default(30_000),
    /**
     * Give up polling this long after the submit was accepted. Generous: tasks beyond the
     * provider's concurrency limit wait in `queued`, and a long queue is not a hang.
     */
    deadlineMs: z
      .number()
      .int()
      .min(1)
      .default(2 * 60 * 60 * 1000),
  }),
);
export type PollSchedule = z.output<typeof PollScheduleSchema>;
export type PollScheduleInput = z.input<typeof PollScheduleSchema>;

export const DEFAULT_POLL_SCHEDULE: PollSchedule = PollScheduleSchema.parse({});

/** The wait before poll number `pollIndex` (0-based). */
export function pollDelayMs(schedule: PollSchedule, pollIndex: number): number {
  const raw = schedule.initialDelayMs * Math.pow(schedule.backoffFactor, Math.max(0, pollIndex - 1));
  if (pollIndex === 0) return Math.min(schedule.initialDelayMs, schedule.deadlineMs);
  return Math.min(raw, schedule.maxIntervalMs);
}

/**
 * The wait before the next poll, clipped so the last poll lands exactly on the deadline;
 * `null` once the deadline has passed.
 */
export function nextPollDelayMs(schedule: PollSchedule, pollIndex: number, elapsedMs: number): number | null {
  const remaining = schedule.deadlineMs - elapsedMs;
  if (remaining <= 0) return null;
  return Math.max(0, Math.min(pollDelayMs(schedule, pollIndex), remaining));
}
