/**
 * Fake activities for the time-skipping workflow tests, typed by the real activity
 * interfaces (types only: nothing of activities/ runs here), scripted per shot prompt.
 *
 * Time: activities record the server's clock (the attempt's scheduled time, which the test
 * server skips with its timers), so tests assert the workflow's waits in workflow time.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ReportActivities } from '../../activities/report/activities';
import type { SeedanceActivities, TaskRef } from '../../activities/seedance/activities';
import type { TaskSnapshot, TaskStatus } from '../../activities/seedance/types';
import type { CopyActivities } from '../../activities/storage/activities';
import type { PageShot, StoryboardActivities } from '../../activities/storyboard/activities';
import type { StageSourceResult, StoryboardSourceInput } from '../../activities/storyboard/source';
import { FAILURE_TYPES, FailureType } from '../../common/errors';
import { CREATE_TASK_HEARTBEAT_TIMEOUT_MS, SUBMIT_SENDING_SIGNAL, type SubmitSending } from '../../common/submit-attempt';
import { STAGE_PAGE_SIZE, type ManifestEntry, type StoryboardProblem } from '../../common/storyboard';

/** A typed failure as the real activities raise it: nonRetryable from the table, details[0]. */
export function typedFailure(type: FailureType, extra: { nextRetryDelayMs?: number } = {}): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message: `${type}: from the fake provider`,
    nonRetryable: !FAILURE_TYPES[type].retryable,
    details: [{ type, ...extra }],
    ...(extra.nextRetryDelayMs !== undefined ? { nextRetryDelay: extra.nextRetryDelayMs } : {}),
  });
}

/**
 * What one createTask attempt does.
 * - `accept`: the provider takes it.
 * - `fail`: raises this failure (nothing accepted, as the real activity's typed failures say).
 * - `dieBeforeSending`: the worker dies while preparing: no submitSending, no answer.
 * - `dieAfterSending`: signals submitSending (as the real activity does just before its POST),
 *   then dies; the provider had accepted the request: its task exists and is listed.
 * - `dieAfterSendingLost`: the same, but the request never reached the provider: nothing is listed.
 * - `ambiguousAccepted`: the provider creates the task, then the connection drops: the attempt
 *   fails SubmitOutcomeUnknown (as the real activity does) and the task is listed.
 */
export type SubmitStep =
  'accept' | 'dieBeforeSending' | 'dieAfterSending' | 'dieAfterSendingLost' | 'ambiguousAccepted' | { fail: ApplicationFailure };

/** A task the fake provider created, as its task list shows it. */
export interface ListedTask {
  taskId: string;
  prompt: string;
  model: string;
  seed?: number;
}

/** What one getTask returns (or raises); `videoUrl` is filled in for `succeeded`. */
export type PollStep = { status: TaskStatus; rawStatus?: string; totalTokens?: number } | { fail: ApplicationFailure };

export interface SubmitCall {
  prompt: string;
  /** The first frame's reference, when the shot has one. */
  firstFrame?: string;
  activityId: string;
  workflowId: string;
  /** Server time the attempt was scheduled (ms). */
  at: number;
}
export interface PollCall {
  taskId: string;
  prompt: string;
  at: number;
}

/** A scripted provider: per prompt, a list of steps; the last step repeats. */
export class FakeProvider {
  submits: SubmitCall[] = [];
  polls: PollCall[] = [];
  cancels: TaskRef[] = [];
  copies: string[] = [];
  /** Every task the provider created (accepted, or accepted and then unanswered). */
  listed: ListedTask[] = [];
  /** Task-list lookups made, with the seed they looked for. */
  lookups: { seed: number; at: number }[] = [];
  /** The next submit attempts' callback plan (set: the "worker" has callbacks on). */
  callbackPlan: SubmitSending['callbacks'];
  /** false: the family has no list call. */
  listing = true;
  /** Tasks created and not yet seen terminal by a poll, and the most there ever were at once. */
  active = new Set<string>();
  maxActive = 0;
  private submitPlans = new Map<string, SubmitStep[]>();
  private pollPlans = new Map<string, PollStep[]>();
  private promptOf = new Map<string, string>();
  private waiters: { done: () => boolean; resolve: () => void }[] = [];

  constructor(private readonly env: TestWorkflowEnvironment) {}

  reset(): void {
    this.submits = [];
    this.polls = [];
    this.cancels = [];
    this.copies = [];
    this.listed = [];
    this.lookups = [];
    this.callbackPlan = undefined;
    this.listing = true;
    this.active.clear();
    this.maxActive = 0;
    this.submitPlans.clear();
    this.pollPlans.clear();
  }

  onSubmit(prompt: string, ...steps: SubmitStep[]): this {
    this.submitPlans.set(prompt, steps);
    return this;
  }

  onPoll(prompt: string, ...steps: PollStep[]): this {
    this.pollPlans.set(prompt, steps);
    return this;
  }

  submitsOf(prompt: string): SubmitCall[] {
    return this.submits.filter((s) => s.prompt === prompt);
  }

  /** Resolves once `done()` holds (checked after every activity call), or fails after `ms` of real time. */
  until(what: string, done: () => boolean, ms = 10_000): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      this.waiters.push({
        done,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  private changed(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!w.done()) return true;
      w.resolve();
      return false;
    });
  }

  private static step<T>(plan: T[] | undefined, index: number, fallback: T): T {
    if (!plan || plan.length === 0) return fallback;
    return plan[Math.min(index, plan.length - 1)] as T;
  }

  /** The worker "dies": the server's clock passes the attempt's heartbeat timeout, and the attempt never answers. */
  private async die(ctx: Context): Promise<never> {
    await this.env.sleep(CREATE_TASK_HEARTBEAT_TIMEOUT_MS + 1_000);
    return new Promise<never>((_resolve, reject) => {
      const stop = () => reject(ctx.cancellationSignal.reason as Error);
      if (ctx.cancellationSignal.aborted) stop();
      else ctx.cancellationSignal.addEventListener('abort', stop);
    });
  }

  activities(): SeedanceActivities & CopyActivities {
    const createTask: SeedanceActivities['createTask'] = async (input) => {
      const ctx = Context.current();
      const { info } = ctx;
      const run = info.workflowExecution;
      if (!run) throw ApplicationFailure.nonRetryable('createTask runs only inside a workflow');
      const prompt = input.prompt;
      const index = this.submitsOf(prompt).length;
      const firstFrame = input.images?.find((i) => i.role === 'first_frame')?.url;
      this.submits.push({
        prompt,
        activityId: info.activityId,
        workflowId: run.workflowId,
        at: info.currentAttemptScheduledTimestampMs,
        ...(firstFrame ? { firstFrame } : {}),
      });
      // Named before any await: concurrent attempts must not share an id.
      const taskId = `task-${this.submits.length}`;
      this.changed();
      const step = FakeProvider.step(this.submitPlans.get(prompt), index, 'accept' as SubmitStep);
      if (step === 'dieBeforeSending') return this.die(ctx);
      if (typeof step === 'object') throw step.fail;
      const plan = this.callbackPlan;
      const sending: SubmitSending = {
        activityId: info.activityId,
        at: Date.now(),
        ...(plan ? { callbacks: plan } : {}),
        ...(input.seed !== undefined ? { seed: input.seed } : {}),
      };
      await this.env.client.workflow.getHandle(run.workflowId, run.runId).signal(SUBMIT_SENDING_SIGNAL, sending);
      const model = input.model ?? 'doubao-seedance-1-5-pro-251215';
      if (step !== 'dieAfterSendingLost') {
        this.promptOf.set(taskId, prompt);
        this.listed.push({ taskId, prompt, model, ...(input.seed !== undefined ? { seed: input.seed } : {}) });
        this.active.add(taskId);
        this.maxActive = Math.max(this.maxActive, this.active.size);
        this.changed();
      }
      if (step === 'dieAfterSending' || step === 'dieAfterSendingLost') return this.die(ctx);
      if (step === 'ambiguousAccepted') throw typedFailure(FailureType.SubmitOutcomeUnknown);
      return { taskId, api: 'tasks', model, ...(plan ? { callbacks: plan } : {}) };
    };
    const getTask: SeedanceActivities['getTask'] = async (ref) => {
      const prompt = this.promptOf.get(ref.taskId) ?? '?';
      const index = this.polls.filter((p) => p.taskId === ref.taskId).length;
      this.polls.push({ taskId: ref.taskId, prompt, at: Context.current().info.currentAttemptScheduledTimestampMs });
      this.changed();
      const step = FakeProvider.step(this.pollPlans.get(prompt), index, { status: 'succeeded' } as PollStep);
      if ('fail' in step) throw step.fail;
      if (step.status !== 'queued' && step.status !== 'running' && step.status !== 'unknown') this.active.delete(ref.taskId);
      const snapshot: TaskSnapshot = { taskId: ref.taskId, api: ref.api, status: step.status, rawStatus: step.rawStatus ?? step.status };
      if (step.status === 'succeeded') {
        snapshot.videoUrl = `https://cdn.example.com/${ref.taskId}.mp4`;
        snapshot.seed = 42;
        if (step.totalTokens !== undefined) snapshot.usage = { totalTokens: step.totalTokens };
      }
      return snapshot;
    };
    const cancelTask: SeedanceActivities['cancelTask'] = async (ref) => {
      this.cancels.push(ref);
      this.changed();
      return { cancelled: true };
    };
    const copyToStorage: CopyActivities['copyToStorage'] = async (input) => {
      this.copies.push(input.key);
      this.changed();
      // A shot others continue from asked for its last frame: a fake one, named by its task.
      const frameKey = input.key.replace(/\.mp4$/, '.last-frame.png');
      const lastFrame = input.lastFrame
        ? {
            lastFrame: {
              key: frameKey,
              url: `file:///renders/${frameKey}`,
              sha256: `frame-${input.taskId}`,
              bytes: 10,
              inputUrl: `file:///renders/inputs/frame-${input.taskId}.png`,
            },
          }
        : {};
      return {
        key: input.key,
        url: `file:///renders/${input.key}`,
        sha256: `sha-${input.taskId}`,
        bytes: 1000,
        skipped: false,
        ...lastFrame,
      };
    };
    const findTask: SeedanceActivities['findTask'] = async (lookup) => {
      this.lookups.push({ seed: lookup.seed, at: Context.current().info.currentAttemptScheduledTimestampMs });
      this.changed();
      if (!this.listing) return { listed: false, matches: [], scanned: 0, pages: 0 };
      const matches = this.listed.filter((t) => t.seed === lookup.seed && t.model === lookup.model).map((t) => t.taskId);
      return { listed: true, matches: matches.reverse(), scanned: this.listed.length, pages: 1 };
    };
    return { createTask, submitTask: createTask, getTask, findTask, cancelTask, copyToStorage };
  }
}

/** A staged storyboard in memory: shot pages in, outcome pages and the manifest out. */
export class FakeStoryboardStore {
  readonly outcomePages = new Map<string, ManifestEntry[]>();
  readonly pageLoads: { storyboardId: string; page: number }[] = [];
  /** Every stageStoryboardSource call, in order. */
  readonly sourceStagings: StoryboardSourceInput[] = [];
  private readonly boards = new Map<string, PageShot[]>();
  private readonly files = new Map<string, { id: string; shots: PageShot[] } | { problems: StoryboardProblem[] }>();

  /** A storyboard file at `source`: its shots (staged when the workflow hands it over), or the problems checking finds. */
  file(source: string, content: { id: string; shots: PageShot[] } | { problems: StoryboardProblem[] }): void {
    this.files.set(source, content);
  }

  /** Stages `shots` for `storyboardId`; a shot with `stored` was rendered by an earlier run. */
  stage(storyboardId: string, shots: PageShot[]): { storyboardId: string; stagedPrefix: string; totalShots: number } {
    this.boards.set(storyboardId, shots);
    return { storyboardId, stagedPrefix: `${storyboardId}/.state/input-0123abcd`, totalShots: shots.length };
  }

  activities(): StoryboardActivities & ReportActivities {
    const outcomes = (storyboardId: string, page: number) => this.outcomePages.get(`${storyboardId}#${page}`);
    return {
      // Files come from file(); an inline storyboard's shots are staged as given ({id, prompt}).
      stageStoryboardSource: async (input): Promise<StageSourceResult> => {
        this.sourceStagings.push(input);
        const content =
          'source' in input
            ? (this.files.get(input.source) ?? { problems: [{ path: '', message: `${input.source}: no such object in storage` }] })
            : (input.storyboard as { id: string; shots: Array<{ id: string; prompt: string }> });
        if ('problems' in content) return { ok: false, problems: content.problems };
        if (content.id !== input.storyboardId)
          return { ok: false, problems: [{ path: 'id', message: `the storyboard's id is ${content.id}` }] };
        const shots = content.shots.map((s) => ('shot' in s ? s : { id: s.id, shot: { prompt: s.prompt } }));
        // A file's budget (tokens) comes back with its staged shots, as the real activity returns it.
        const budget = (content as { budget?: { tokens: number } }).budget;
        return { ok: true, ...this.stage(input.storyboardId, shots), ...(budget ? { budget } : {}) };
      },
      loadShotPage: async ({ storyboardId, page }) => {
        this.pageLoads.push({ storyboardId, page });
        const shots = this.boards.get(storyboardId);
        if (!shots) throw ApplicationFailure.nonRetryable(`no staged storyboard ${storyboardId}`);
        return shots.slice(page * STAGE_PAGE_SIZE, (page + 1) * STAGE_PAGE_SIZE);
      },
      recordOutcomes: async ({ storyboardId, page, entries }) => {
        this.outcomePages.set(`${storyboardId}#${page}`, entries);
      },
      writeManifest: async ({ storyboardId, totalShots }) => {
        const entries: ManifestEntry[] = [];
        for (let page = 0; page < Math.ceil(totalShots / STAGE_PAGE_SIZE); page++) {
          const found = outcomes(storyboardId, page);
          if (!found) throw ApplicationFailure.nonRetryable(`outcomes of page ${page} of ${storyboardId} are missing`);
          entries.push(...found);
        }
        const manifestKey = `${storyboardId}/manifest.json`;
        return { manifestKey, manifestUrl: `file:///renders/${manifestKey}`, entries };
      },
      writeReport: async ({ storyboardId }) => ({
        reportKey: `${storyboardId}/report.html`,
        reportUrl: `file:///renders/${storyboardId}/report.html`,
        thumbnails: 0,
      }),
      writeReviewReport: async ({ storyboardId }) => ({
        reviewKey: `${storyboardId}/review.html`,
        reviewUrl: `file:///renders/${storyboardId}/review.html`,
      }),
    };
  }
}
