/**
 * Everything the simulator remembers: configuration, tasks, queued faults, counters and the
 * seeded random streams. HTTP-free, so the rules can be read without the plumbing.
 */
import { randomBytes, randomInt as cryptoRandomInt } from 'node:crypto';
import { applyConfigPatch } from './config';
import type { TaskDirectives } from './directives';
import { FaultQueue, type RequestKind } from './faults';
import { hasAudio, outputAudioPolicyFailure, outputVideoPolicyFailure } from './moderation';
import { mulberry32, randomInt, type Prng } from './prng';
import { endsAt, planTimeline, statusAt, type SimTask, type TaskOutcome } from './task';
import type { ApiFamily, CallbackStats, SimulatorConfig, SimulatorConfigPatch, SimulatorStats } from './types';
import type { VideoRequest } from './validation';

/** Separate streams, so that e.g. enabling request faults does not change task outcomes. */
interface RandomStreams {
  requests: Prng;
  outcomes: Prng;
  seeds: Prng;
  callbacks: Prng;
}

interface Counters {
  submissions: number;
  submitAttempts: number;
  getRequests: number;
  listRequests: number;
  downloads: number;
  cancels: number;
}

/** The request-level failure a random roll picked, if any. */
export type RequestRoll = 'rateLimit' | 'serverError' | undefined;

/** The simulator's whole mutable state. */
export class SimulatorState {
  config: SimulatorConfig;
  readonly faults = new FaultQueue();
  private tasks = new Map<string, SimTask>();
  private counters: Counters = zeroCounters();
  /** Callback bookkeeping, written by the server's callback sender. */
  callbackStats: CallbackStats = zeroCallbackStats();
  // Submits received and not yet answered or dropped, by an opaque token per request. A set
  // rather than a number so that reset() can forget the requests open at that moment: their
  // later end then changes nothing, and the gauge can never go negative.
  private openSubmits = new Set<symbol>();
  private lastSubmitAt: number | null = null;
  private random: RandomStreams;
  // Ids are deliberately not reproducible: a restarted simulator must not hand out an id a
  // durable workflow still holds from the previous run. The counter starts at a random
  // offset and is never reset, so ids stay unique across reset() and restarts.
  private taskCounter = cryptoRandomInt(1_000_000);

  constructor(private readonly initialConfig: SimulatorConfig) {
    this.config = initialConfig;
    this.random = seedStreams(initialConfig.randomSeed);
  }

  /** Applies a validated patch; a new `randomSeed` restarts the random streams. */
  configure(patch: SimulatorConfigPatch | unknown): void {
    const previousSeed = this.config.randomSeed;
    this.config = applyConfigPatch(this.config, patch);
    if (this.config.randomSeed !== previousSeed) this.random = seedStreams(this.config.randomSeed);
  }

  /** Back to the start: startup configuration, no tasks, no faults, zero counters. */
  reset(): void {
    this.config = this.initialConfig;
    this.random = seedStreams(this.config.randomSeed);
    this.tasks.clear();
    this.faults.clear();
    this.counters = zeroCounters();
    this.callbackStats = zeroCallbackStats();
    this.openSubmits.clear();
    this.lastSubmitAt = null;
  }

  /** A submit request arrived; pass the token to `submitEnded` once it is answered or dropped. */
  submitStarted(now: number): symbol {
    const token = Symbol('submit');
    this.openSubmits.add(token);
    this.lastSubmitAt = Math.max(this.lastSubmitAt ?? now, now);
    return token;
  }

  /** The submit was answered, or its connection closed without an answer. Idempotent. */
  submitEnded(token: symbol, now: number): void {
    // A token unknown here was ended already or belongs to a request from before reset().
    if (!this.openSubmits.delete(token)) return;
    this.lastSubmitAt = Math.max(this.lastSubmitAt ?? now, now);
  }

  /** Counts a request of the given kind, whatever its outcome. */
  countRequest(kind: RequestKind): void {
    const field = (
      { submit: 'submitAttempts', get: 'getRequests', list: 'listRequests', download: 'downloads', cancel: 'cancels' } as const
    )[kind];
    this.counters[field] += 1;
  }

  /** Rolls the per-request rates (submit and status GET only). */
  rollRequest(): RequestRoll {
    const r = this.random.requests();
    const { rateLimit, serverError } = this.config.rates;
    if (r < rateLimit) return 'rateLimit';
    if (r < rateLimit + serverError) return 'serverError';
    return undefined;
  }

  /** A draw in [0, 1) from the callbacks' own stream, so callback faults change no task outcome. */
  rollCallback(): number {
    return this.random.callbacks();
  }

  /** Creates a task: decides its outcome (directives first, then rates) and its timeline. */
  createTask(family: ApiFamily, request: VideoRequest, directives: TaskDirectives, now: number): SimTask {
    // Always draw the same number of values per task so that runs stay reproducible
    // whichever directives the prompts carry.
    const outcomeRoll = this.random.outcomes();
    const randomSeed = randomInt(this.random.seeds, 2 ** 31);
    const id = family === 'tasks' ? this.nextTaskId(now) : this.nextPredictionId();

    const queueMs = directives.queueMs ?? this.config.queueMs;
    const renderMs = directives.renderMs ?? this.config.renderMs;
    const timeline = planTimeline({
      createdAt: now,
      queueMs,
      renderMs,
      outcome: this.pickOutcome(directives, outcomeRoll, hasAudio(request)),
      expiresAfterSeconds: request.executionExpiresAfter,
      ...(this.config.accountConcurrency !== null
        ? { slotFreeAt: this.slotFreeAt(request.model, now + Math.min(queueMs, renderMs), this.config.accountConcurrency) }
        : {}),
    });
    const task: SimTask = {
      id,
      family,
      model: request.model,
      prompt: request.prompt,
      request,
      seed: request.seed !== undefined && request.seed >= 0 ? request.seed : randomSeed,
      createdAt: now,
      ...timeline,
      gone: directives.gone,
      deleted: false,
      rawRunningStatus: directives.rawStatus,
      videoSize: directives.videoSize,
      label: directives.label,
      clips: this.config.clips,
    };
    this.tasks.set(id, task);
    this.counters.submissions += 1;
    return task;
  }

  /**
   * When a task of `model` ready to run at `ready` gets one of the account's `slots` (first
   * come first served): timelines are fixed at creation, so every earlier task's running
   * interval is known; a new task starts no earlier than the last earlier one started.
   */
  private slotFreeAt(model: string, ready: number, slots: number): number {
    const earlier = [...this.tasks.values()].filter((t) => t.model === model && endsAt(t) > ready && t.runningAt < endsAt(t));
    let start = Math.max(ready, ...earlier.map((t) => t.runningAt));
    const ends = earlier.map((t) => endsAt(t)).sort((a, b) => a - b);
    for (const candidate of [start, ...ends.filter((e) => e > start)]) {
      start = candidate;
      if (earlier.filter((t) => t.runningAt <= start && endsAt(t) > start).length < slots) break;
    }
    return start;
  }

  /** Tasks queued or running at `now` (what `maxTasksInFlight` bounds). */
  tasksInFlight(now: number): number {
    let n = 0;
    for (const t of this.tasks.values()) if (t.createdAt <= now && endsAt(t) > now) n++;
    return n;
  }

  /** A live (not deleted) task of the given family. */
  findTask(id: string, family: ApiFamily): SimTask | undefined {
    const task = this.tasks.get(id);
    return task && task.family === family && !task.deleted ? task : undefined;
  }

  /** Every live (not deleted) task of a family, in creation order. */
  liveTasks(family: ApiFamily): SimTask[] {
    return [...this.tasks.values()].filter((t) => t.family === family && !t.deleted);
  }

  /** Any task with this id, deleted records included (output links outlive the record). */
  findOutput(id: string): SimTask | undefined {
    return this.tasks.get(id);
  }

  /** Counters, per-task summaries and the peak number of tasks in flight. */
  stats(now: number): SimulatorStats {
    const all = [...this.tasks.values()];
    const submissionsByPrompt: Record<string, number> = {};
    for (const task of all) submissionsByPrompt[task.prompt] = (submissionsByPrompt[task.prompt] ?? 0) + 1;
    return {
      ...this.counters,
      callbacks: { ...this.callbackStats, forgedAnswers: { ...this.callbackStats.forgedAnswers } },
      maxConcurrent: maxConcurrent(all),
      maxRunning: maxRunning(all),
      submitsInFlight: this.openSubmits.size,
      lastSubmitAt: this.lastSubmitAt,
      tasks: all.map((t) => ({
        id: t.id,
        family: t.family,
        model: t.model,
        prompt: t.prompt,
        status: statusAt(t, now),
        createdAt: t.createdAt,
        submissions: submissionsByPrompt[t.prompt] ?? 0,
        draft: t.request.draft,
        ...(t.request.draftTaskId !== undefined ? { draftTaskId: t.request.draftTaskId } : {}),
        audio: hasAudio(t.request),
        references: { ...t.request.references },
        ...(t.request.images ? { images: t.request.images } : {}),
      })),
      submissionsByPrompt,
    };
  }

  /** Directives first, then the random rates; audio moderation only blocks a render that has sound. */
  private pickOutcome(d: TaskDirectives, roll: number, audio: boolean): TaskOutcome {
    if (d.outputPolicy) return outputVideoPolicyFailure();
    if (d.audioPolicy && audio) return outputAudioPolicyFailure();
    if (d.failCode !== undefined) return { status: 'failed', code: d.failCode, message: `Simulated failure (${d.failCode}).` };
    if (d.expire) return { status: 'expired' };
    const { failed, expired, contentPolicy, audioPolicy } = this.config.rates;
    if (roll < failed) {
      return { status: 'failed', code: 'InternalServiceError', message: 'The service encountered an unexpected internal error.' };
    }
    if (roll < failed + expired) return { status: 'expired' };
    if (roll < failed + expired + contentPolicy) return outputVideoPolicyFailure();
    // Appended after the older rates so that a configuration without it draws the same outcomes.
    if (roll < failed + expired + contentPolicy + audioPolicy && audio) return outputAudioPolicyFailure();
    return { status: 'succeeded' };
  }

  /** Ark's shape: `cgt-YYYYMMDDHHMMSS-<n>` (UTC here). */
  private nextTaskId(now: number): string {
    this.taskCounter += 1;
    const stamp = new Date(now).toISOString().replace(/\D/g, '').slice(0, 14);
    return `cgt-${stamp}-${this.taskCounter}`;
  }

  /** The gateway's shape: 32 hex digits. */
  private nextPredictionId(): string {
    return randomBytes(16).toString('hex');
  }
}

/**
 * Sweeps task intervals [createdAt, end) for the most that overlap. Ends sort before starts
 * at the same instant, so back-to-back tasks (and zero-length ones) do not count as overlapping.
 */
function maxConcurrent(tasks: SimTask[]): number {
  return peakOverlap(tasks.map((t) => [t.createdAt, endsAt(t)]));
}

/** The most tasks running (not queued) at once: what `accountConcurrency` bounds. */
function maxRunning(tasks: SimTask[]): number {
  return peakOverlap(tasks.filter((t) => t.runningAt < endsAt(t)).map((t) => [t.runningAt, endsAt(t)]));
}

/** The most intervals [start, end) open at one moment (an end before a start at the same time). */
function peakOverlap(intervals: Array<[start: number, end: number]>): number {
  const events: Array<[time: number, delta: number]> = [];
  for (const [start, end] of intervals) events.push([start, 1], [end, -1]);
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let peak = 0;
  for (const [, delta] of events) {
    current += delta;
    peak = Math.max(peak, current);
  }
  return peak;
}

function seedStreams(seed: number): RandomStreams {
  return {
    requests: mulberry32(seed ^ 0x5eed0001),
    outcomes: mulberry32(seed ^ 0x5eed0002),
    seeds: mulberry32(seed ^ 0x5eed0003),
    callbacks: mulberry32(seed ^ 0x5eed0004),
  };
}

function zeroCounters(): Counters {
  return { submissions: 0, submitAttempts: 0, getRequests: 0, listRequests: 0, downloads: 0, cancels: 0 };
}

function zeroCallbackStats(): CallbackStats {
  return { scheduled: 0, attempts: 0, delivered: 0, failed: 0, lost: 0, duplicated: 0, late: 0, forged: 0, forgedAnswers: {} };
}
