/**
 * renderStoryboard: fans a storyboard out into one renderVideo child per shot, through a
 * sliding window, with progress, pause/resume, a failure tolerance and continue-as-new.
 *
 * Shots are read from storage a page at a time and outcomes are written back a page at a
 * time, so neither a 10,000-shot storyboard nor its results ever sit in one history.
 */
import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  condition,
  continueAsNew,
  executeChild,
  log,
  proxyActivities,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { TypedSearchAttributes, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ShotIdKey, StoryboardIdKey } from '../common/search-attributes';
import type { ReportActivities } from '../activities/report/activities';
import type { StoryboardActivities } from '../activities/storyboard/activities';
import { FailureType, type FailureDetails } from '../common/errors';
import type { RenderVideoResult } from '../common/render';
import {
  MAX_WINDOW,
  RenderStoryboardInputSchema,
  SHOT_STATES,
  STAGE_PAGE_SIZE,
  shotWorkflowId,
  storyboardKeys,
  type ManifestEntry,
  type RenderStoryboardInput,
  type ShotState,
  type StoryboardCounts,
  type StoryboardProgress,
  type StoryboardResult,
} from '../common/storyboard';
import { formatIssues } from '../common/shot';
import { exceeds } from '../common/tolerance';
import { copyTaskQueue } from '../common/task-queues';
import { renderVideo } from './render-video';
import { pauseSignal, resumeSignal, setWindowUpdate, shotPhasesSignal, storyboardProgressQuery } from './signals';

// They heartbeat while they work: a worker that dies mid-page is noticed in seconds (the
// heartbeat timeout) and the page is read again elsewhere, instead of stalling every launch
// for the start-to-close timeout.
const { loadShotPage, recordOutcomes, writeManifest } = proxyActivities<StoryboardActivities>({
  startToCloseTimeout: '2 minutes',
  heartbeatTimeout: '10 seconds',
  retry: { initialInterval: '2 seconds', maximumInterval: '1 minute', maximumAttempts: 20 },
});

/** What one run hands the next through continue-as-new: counts, not shots. */
interface Carry {
  /** Every shot before this index is finished and its page's outcomes are recorded. */
  cursor: number;
  stored: number;
  failed: number;
  tokensUsed: number;
  window: number;
  paused: boolean;
  pauseReason?: string;
  runs: number;
  startedAt: number;
  /**
   * The page the cursor stands in, when a run ended mid-page: its finished shots' outcomes
   * (null for the rest), at most one page, so the next run can complete and record it.
   */
  partial?: { page: number; entries: (ManifestEntry | null)[] };
}

/**
 * Renders every shot of a staged storyboard and writes its manifest next to the videos.
 * Completes with per-shot outcomes even when shots fail; fails only on invalid input.
 */
export async function renderStoryboard(rawInput: RenderStoryboardInput): Promise<StoryboardResult> {
  const parsed = RenderStoryboardInputSchema.safeParse(rawInput);
  if (!parsed.success) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidRequest,
      message: `${FailureType.InvalidRequest}: invalid storyboard input: ${formatIssues(parsed.error).join('; ')}`,
      nonRetryable: true,
    });
  }
  const input = parsed.data;
  const { storyboardId, totalShots } = input;
  const carry: Carry = (input.carry as Carry | undefined) ?? {
    cursor: 0,
    stored: 0,
    failed: 0,
    tokensUsed: 0,
    window: input.window,
    paused: false,
    runs: 0,
    startedAt: Date.now(),
  };
  carry.runs++;
  if (input.searchAttributes) upsertSearchAttributes([{ key: StoryboardIdKey, value: storyboardId }]);

  // ---- state of this run ----
  const shotStates: Record<string, ShotState> = {};
  const idByWorkflow = new Map<string, string>();
  let inFlight = 0;
  let toleranceExceeded = false;
  let nextIndex = carry.cursor;
  let launchedThisRun = 0;
  const pages = new Map<number, { entries: (ManifestEntry | undefined)[]; open: number; ids: string[] }>();
  const flushes: Promise<void>[] = [];
  const loaded = new Map<number, Awaited<ReturnType<typeof loadShotPage>>>();

  const progress = (): StoryboardProgress => {
    const active = { submitted: 0, rendering: 0, copying: 0 };
    for (const s of Object.values(shotStates)) if (s in active) active[s as keyof typeof active]++;
    const counts: StoryboardCounts = {
      ...active,
      stored: carry.stored,
      failed: carry.failed,
      pending: totalShots - carry.stored - carry.failed - active.submitted - active.rendering - active.copying,
    };
    return {
      storyboardId,
      totalShots,
      counts,
      shots: { ...shotStates },
      tokensUsed: carry.tokensUsed,
      window: carry.window,
      paused: carry.paused,
      ...(carry.pauseReason ? { pauseReason: carry.pauseReason } : {}),
      toleranceExceeded,
      runs: carry.runs,
      startedAt: carry.startedAt,
      done: false,
    };
  };

  setHandler(storyboardProgressQuery, progress);
  setHandler(pauseSignal, (reason) => pause(reason ?? 'paused by a user'));
  setHandler(resumeSignal, () => {
    carry.paused = false;
    delete carry.pauseReason;
  });
  setHandler(
    setWindowUpdate,
    (size) => {
      carry.window = size;
      return carry.window;
    },
    {
      validator: (size) => {
        if (!Number.isInteger(size) || size < 1 || size > MAX_WINDOW) throw new Error(`window must be an integer in [1, ${MAX_WINDOW}]`);
      },
    },
  );
  setHandler(shotPhasesSignal, ({ updates }) => {
    for (const event of updates) {
      const shotId = idByWorkflow.get(event.workflowId);
      const current = shotId ? shotStates[shotId] : undefined;
      // Batches from several workers can arrive late or out of order: a shot only moves forward.
      if (shotId && current && SHOT_STATES.indexOf(event.phase) > SHOT_STATES.indexOf(current)) shotStates[shotId] = event.phase;
    }
  });

  function pause(reason: string): void {
    if (!carry.paused) log.warn('storyboard paused', { storyboardId, reason });
    carry.paused = true;
    carry.pauseReason = reason;
  }

  async function pageOf(page: number) {
    let entry = pages.get(page);
    if (!entry) {
      const shots = await loadShotPage({ storyboardId, stagedPrefix: input.stagedPrefix, page });
      entry = { entries: shots.map(() => undefined), open: shots.length, ids: shots.map((s) => s.id) };
      if (carry.partial?.page === page) {
        // Outcomes of this page's shots that an earlier run finished.
        carry.partial.entries.forEach((e, i) => {
          if (e && entry) {
            entry.entries[i] = e;
            entry.open--;
          }
        });
      }
      pages.set(page, entry);
      loaded.set(page, shots);
    }
    return entry;
  }
  function finish(index: number, entry: ManifestEntry, fresh: boolean): void {
    const page = Math.floor(index / STAGE_PAGE_SIZE);
    const p = pages.get(page);
    if (!p) throw new Error(`page ${page} finished before it was loaded`);
    p.entries[index % STAGE_PAGE_SIZE] = entry;
    p.open--;
    shotStates[entry.shotId] = entry.status === 'stored' ? 'stored' : 'failed';
    if (entry.status === 'stored') carry.stored++;
    else carry.failed++;
    if (fresh) carry.tokensUsed += entry.usage?.totalTokens ?? 0;
    if (entry.status === 'failed' && exceeds(input.tolerance, carry.failed, carry.stored + carry.failed)) {
      if (!toleranceExceeded) log.warn('failure tolerance exceeded; no new shots', { storyboardId, failed: carry.failed });
      toleranceExceeded = true;
    }
    if (p.open === 0) {
      flushes.push(recordOutcomes({ storyboardId, page, entries: p.entries as ManifestEntry[] }));
      pages.delete(page);
      loaded.delete(page);
    }
  }

  async function runShot(index: number, shotId: string, shot: Parameters<typeof renderVideo>[0]['shot']): Promise<void> {
    const workflowId = shotWorkflowId(storyboardId, shotId);
    idByWorkflow.set(workflowId, shotId);
    for (;;) {
      shotStates[shotId] = 'pending';
      try {
        const result = await executeChild(renderVideo, {
          workflowId,
          ...(input.shotTaskQueue ? { taskQueue: input.shotTaskQueue } : {}),
          args: [
            {
              shot,
              storageKey: storyboardKeys.video(storyboardId, shotId),
              ...(input.schedule ? { schedule: input.schedule } : {}),
              notifyParent: true,
            },
          ],
          ...(input.searchAttributes
            ? {
                typedSearchAttributes: new TypedSearchAttributes([
                  { key: StoryboardIdKey, value: storyboardId },
                  { key: ShotIdKey, value: shotId },
                ]),
              }
            : {}),
          // A re-run renders again what is missing; stored shots never reach this point.
          workflowIdReusePolicy: 'ALLOW_DUPLICATE',
          // Stopping the storyboard cancels its shots, which cancel their provider tasks.
          parentClosePolicy: 'REQUEST_CANCEL',
        });
        finish(index, storedEntry(shotId, result), true);
        return;
      } catch (err) {
        const failure = describeChildFailure(err);
        if (failure.type === FailureType.InsufficientBalance) {
          // Nothing was accepted: hold this shot, stop launching others, and try it again on resume.
          pause('insufficient balance: top up, then resume');
          await condition(() => !carry.paused);
          continue;
        }
        // The storyboard itself is being cancelled: let it end cancelled. A shot cancelled on
        // its own is just a failed shot.
        if (failure.type === 'Cancelled' && CancellationScope.current().consideredCancelled) throw err;
        finish(index, { shotId, status: 'failed', ...failure.entry }, true);
        return;
      }
    }
  }

  // ---- the sliding window ----
  const runs: Promise<void>[] = [];
  const timeToContinue = () => launchedThisRun >= input.shotsPerRun || workflowInfo().continueAsNewSuggested;
  while (nextIndex < totalShots && !toleranceExceeded && !timeToContinue()) {
    await condition(() => (!carry.paused && inFlight < carry.window) || toleranceExceeded);
    if (toleranceExceeded) break;
    const index = nextIndex++;
    const page = Math.floor(index / STAGE_PAGE_SIZE);
    await pageOf(page);
    const shot = loaded.get(page)?.[index % STAGE_PAGE_SIZE];
    if (!shot) throw new Error(`shot ${index} missing from staged page ${page}`);
    if (shot.stored) {
      finish(index, shot.stored, false);
      continue;
    }
    inFlight++;
    launchedThisRun++;
    runs.push(runShot(index, shot.id, shot.shot).finally(() => inFlight--));
  }
  await Promise.all(runs);

  if (nextIndex < totalShots && !toleranceExceeded) {
    await Promise.all(flushes);
    log.info('continuing as new', { storyboardId, cursor: nextIndex, run: carry.runs });
    const page = Math.floor(nextIndex / STAGE_PAGE_SIZE);
    const open = pages.get(page);
    const next: Carry = { ...carry, cursor: nextIndex };
    if (open) next.partial = { page, entries: open.entries.map((e) => e ?? null) };
    else delete next.partial;
    await continueAsNew<typeof renderStoryboard>({ ...rawInput, carry: next });
  }

  // Shots never launched (tolerance exceeded) still get a manifest line.
  for (let index = nextIndex; index < totalShots; index++) {
    const page = Math.floor(index / STAGE_PAGE_SIZE);
    const p = await pageOf(page);
    const shot = loaded.get(page)?.[index % STAGE_PAGE_SIZE];
    const id = p.ids[index % STAGE_PAGE_SIZE] as string;
    if (shot?.stored) finish(index, shot.stored, false);
    else markNotStarted(index, id);
  }
  await Promise.all(flushes);

  const manifest = await writeManifest({ storyboardId, totalShots });
  const report = await writeReportOrWarn(storyboardId, input.stagedPrefix, totalShots);
  const final = progress();
  const notStarted = totalShots - carry.stored - carry.failed;
  return {
    storyboardId,
    manifestKey: manifest.manifestKey,
    manifestUrl: manifest.manifestUrl,
    ...(report ? { reportKey: report.reportKey, reportUrl: report.reportUrl } : {}),
    counts: { ...final.counts, pending: 0, notStarted },
    tokensUsed: carry.tokensUsed,
    ...(manifest.entries ? { shots: manifest.entries } : {}),
  };

  function markNotStarted(index: number, shotId: string): void {
    const page = Math.floor(index / STAGE_PAGE_SIZE);
    const p = pages.get(page);
    if (!p) return;
    p.entries[index % STAGE_PAGE_SIZE] = { shotId, status: 'not_started' };
    p.open--;
    if (p.open === 0) {
      flushes.push(recordOutcomes({ storyboardId, page, entries: p.entries as ManifestEntry[] }));
      pages.delete(page);
    }
  }
}

/**
 * report.html beside the manifest (thumbnails via ffmpeg, on the copy queue). The videos and
 * the manifest are what users pay for; a report that cannot be made is logged, not fatal.
 */
async function writeReportOrWarn(storyboardId: string, stagedPrefix: string, totalShots: number) {
  const { writeReport } = proxyActivities<ReportActivities>({
    taskQueue: copyTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '1 minute',
    retry: { initialInterval: '5 seconds', maximumInterval: '2 minutes', maximumAttempts: 5 },
  });
  try {
    return await writeReport({ storyboardId, stagedPrefix, totalShots });
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('report not written', { storyboardId, error: String(err) });
    return undefined;
  }
}

function storedEntry(shotId: string, r: RenderVideoResult): ManifestEntry {
  return {
    shotId,
    status: 'stored',
    taskId: r.taskId,
    key: r.storage.key,
    url: r.storage.url,
    sha256: r.storage.sha256,
    bytes: r.storage.bytes,
    ...(r.seed !== undefined ? { seed: r.seed } : {}),
    ...(r.usage ? { usage: r.usage } : {}),
    ...(r.storage.skipped ? { reused: true } : {}),
  };
}

/** The typed reason a child failed, as manifest fields. */
function describeChildFailure(err: unknown): { type: string; entry: Pick<ManifestEntry, 'failureType' | 'failureMessage' | 'taskId'> } {
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return {
      type: 'ShotAlreadyRunning',
      entry: {
        failureType: 'ShotAlreadyRunning',
        failureMessage: `${(err as WorkflowExecutionAlreadyStartedError).workflowId} is already running elsewhere`,
      },
    };
  }
  if (err instanceof ChildWorkflowFailure) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) {
      const details = cause.details?.[0] as FailureDetails | undefined;
      const type = cause.type ?? 'Error';
      return { type, entry: { failureType: type, failureMessage: cause.message, ...(details?.taskId ? { taskId: details.taskId } : {}) } };
    }
    if (cause?.name === 'CancelledFailure')
      return { type: 'Cancelled', entry: { failureType: 'Cancelled', failureMessage: 'the shot was cancelled' } };
    const type = cause?.name ?? 'ChildFailed';
    return { type, entry: { failureType: type, failureMessage: cause?.message ?? err.message } };
  }
  throw err;
}
