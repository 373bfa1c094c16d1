import { DEFAULT_POLL_SCHEDULE, nextPollDelayMs, pollDelayMs, PollScheduleSchema } from '../../common/poll-schedule';
import { submitRetryDelayMs } from '../../common/submit-retry';

describe('poll schedule', () => {
  const s = PollScheduleSchema.parse({ initialDelayMs: 1000, backoffFactor: 2, maxIntervalMs: 5000, deadlineMs: 20_000 });

  test('initial delay, then backoff, then the cap', () => {
    expect([0, 1, 2, 3, 4, 5].map((i) => pollDelayMs(s, i))).toEqual([1000, 1000, 2000, 4000, 5000, 5000]);
  });

  test('the last wait is clipped to the deadline, then polling stops', () => {
    expect(nextPollDelayMs(s, 5, 18_500)).toBe(1500);
    expect(nextPollDelayMs(s, 5, 20_000)).toBeNull();
    expect(nextPollDelayMs(s, 5, 25_000)).toBeNull();
  });

  test('defaults suit a 1-10 minute render: a first look within a minute, then at least every 30 s', () => {
    expect(DEFAULT_POLL_SCHEDULE.initialDelayMs).toBeLessThanOrEqual(60_000);
    expect(DEFAULT_POLL_SCHEDULE.maxIntervalMs).toBeLessThanOrEqual(30_000);
    expect(DEFAULT_POLL_SCHEDULE.deadlineMs).toBeGreaterThanOrEqual(15 * 60_000);
    // Polls needed to notice a 10-minute render stay modest.
    let t = 0;
    let polls = 0;
    while (t < 600_000) t += pollDelayMs(DEFAULT_POLL_SCHEDULE, polls++);
    expect(polls).toBeLessThan(30);
  });

  test('invalid schedules are rejected', () => {
    expect(PollScheduleSchema.safeParse({ backoffFactor: 0.5 }).success).toBe(false);
    expect(PollScheduleSchema.safeParse({ deadlineMs: 0 }).success).toBe(false);
  });
});

describe('submit retry delay', () => {
  test('the provider hint wins; otherwise exponential to a cap', () => {
    expect(submitRetryDelayMs(3, 7000)).toBe(7000);
    expect([1, 2, 3, 10].map((a) => submitRetryDelayMs(a))).toEqual([2000, 4000, 8000, 60_000]);
  });
});
