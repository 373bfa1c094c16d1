/**
 * renderStoryboard: fans a storyboard out into one renderVideo child per shot, through a
 * sliding window, with progress, pause/resume, a failure tolerance and continue-as-new.
 *
 * The pieces: the page book (storyboard-book.ts) reads staged shots and records outcomes a
 * page at a time; the run (storyboard-run.ts) holds counts and per-shot states, which the
 * handlers (storyboard-handlers.ts) answer from; each shot is a child (storyboard-shot.ts).
 * In draft mode (`mode: 'draft'`) the review (storyboard-review.ts) runs each shot instead:
 * draft, wait for approval, then final; its hooks here are marked "draft mode" / `review`.
 */
import { condition, continueAsNew, log, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { FailureType, failure } from '../common/errors';
import { StoryboardIdKey } from '../common/search-attributes';
import { budgetLimit, reservationFor, unpricedProblem } from '../common/budget';
import { estimateShot } from '../common/estimate';
import { formatIssues, type ShotInput } from '../common/shot';
import {
  RenderStoryboardInputSchema,
  STAGE_PAGE_SIZE,
  type ManifestEntry,
  type ParsedStoryboardInput,
  type RenderStoryboardInput,
  type StoryboardCarry,
  type StoryboardResult,
} from '../common/storyboard';
import { writeManifest, writeReportOrWarn } from './storyboard-activities';
import { PageBook } from './storyboard-book';
import { installStoryboardHandlers } from './storyboard-handlers';
import { StoryboardRun } from './storyboard-run';
import { runShot, type ShotContext } from './storyboard-shot';
import { stageFromSource, type StagedShots } from './storyboard-source';
import { installReviewHandlers, Review } from './storyboard-review';
import { MAX_DRAFT_SHOTS } from '../common/review';

/**
 * Renders every shot of a storyboard and writes its manifest (and report.html) next to the
 * videos. The shots come staged, as a storyboard file in storage (`source`) or inline
 * (`storyboard`, at most 100 shots); see RenderStoryboardInputSchema. Completes with per-shot outcomes even when shots fail; fails only on
 * invalid input. Its workflow id is the storyboard id: starting it again while it runs
 * attaches; after it finished, it renders only what is missing or failed.
 *
 * Hand over a file (`source`: it is read, validated and staged by the first activity, exactly
 * as `seedance-flow render` does), or stage the shots yourself (`stageStoryboard()` in
 * client/storyboard-file.ts, or pages of `{id, shot}` objects); the CLI starts it with
 * `startStoryboard()` (client/storyboard.ts).
 *
 * @example
 *   // From your own workflow, on the seedance-flow task queue:
 *   import type { renderStoryboard } from 'seedance-flow/workflows';
 *   const board = await executeChild<typeof renderStoryboard>('renderStoryboard', {
 *     taskQueue: 'seedance-flow',
 *     workflowId: storyboardId,
 *     args: [{ storyboardId, stagedPrefix, totalShots, window: 20, tolerance: { maxFailurePercent: 10 } }],
 *   });
 *   // board.counts.stored, board.counts.not_started, board.manifestKey, board.shots (inline up to 1000 shots)
 *   // or, with the file in the worker's storage: args: [{ storyboardId, source: 's3://bucket/prefix/boards/board.yaml' }]
 */
export async function renderStoryboard(rawInput: RenderStoryboardInput): Promise<StoryboardResult> {
  const parsed = RenderStoryboardInputSchema.safeParse(rawInput);
  if (!parsed.success) throw failure(FailureType.InvalidRequest, `invalid storyboard input: ${formatIssues(parsed.error).join('; ')}`);
  const { stagedPrefix, totalShots: givenTotal, source, storyboard, ...options } = parsed.data;
  const { storyboardId } = options;
  const carry: StoryboardCarry = options.carry ?? {
    cursor: 0,
    stored: 0,
    failed: 0,
    tokensUsed: 0,
    window: options.window,
    paused: false,
    runs: 0,
    startedAt: Date.now(),
  };
  carry.runs++;
  if (options.searchAttributes) upsertSearchAttributes([{ key: StoryboardIdKey, value: storyboardId }]);

  // Queries and signals are answered while a file is staged (with no shots counted yet).
  const counted: ConstructorParameters<typeof StoryboardRun>[0] = {
    storyboardId,
    totalShots: givenTotal ?? 0,
    tolerance: options.tolerance,
  };
  const run = new StoryboardRun(counted, carry);
  installStoryboardHandlers(run);
  // Draft mode (storyboard-review.ts): set once the shots are staged and the mode is known.
  let review: Review | undefined;
  installReviewHandlers(storyboardId, () => review);

  // Staged shots go straight to the window (as every input did before files could be handed
  // over: their histories replay unchanged); a file or an inline storyboard is staged first.
  const givenStaged = stagedPrefix !== undefined && givenTotal !== undefined;
  const staged: StagedShots = givenStaged
    ? { stagedPrefix, totalShots: givenTotal }
    : await stageFromSource(source !== undefined ? { storyboardId, source } : { storyboardId, storyboard });
  // The input's budget, else the file's (a file or inline storyboard may carry one).
  const { budget: fileBudget, mode: fileMode, ...stagedShots } = staged;
  const budget = options.budget ?? fileBudget;
  const mode = options.mode ?? fileMode;
  const input: ParsedStoryboardInput = { ...options, ...stagedShots, ...(budget ? { budget } : {}), ...(mode ? { mode } : {}) };
  const { totalShots } = input;
  counted.totalShots = totalShots;
  if (budget) {
    counted.budget = budget;
    carry.budget ??= { limit: budgetLimit(budget), spent: 0, reserved: {} };
  }

  // ---- draft mode: a review, in this one run ----
  if (mode === 'draft') {
    if (totalShots > MAX_DRAFT_SHOTS)
      throw failure(
        FailureType.InvalidRequest,
        `draft mode takes at most ${MAX_DRAFT_SHOTS} shots (its review lives in one run); this storyboard has ${totalShots}`,
      );
    review = new Review(storyboardId, run, budget);
  }

  const book = new PageBook(storyboardId, input.stagedPrefix, carry.partial);
  // The shots launched and not yet finished, for their estimates and budget settlements.
  const launchedShots = new Map<string, ShotInput>();
  const finish = (index: number, entry: ManifestEntry, fresh: boolean): void => {
    const shot = fresh ? launchedShots.get(entry.shotId) : undefined;
    if (shot) {
      launchedShots.delete(entry.shotId);
      entry = { ...entry, estimatedTokens: estimateShot(shot).tokens };
      run.settle(entry.shotId, shot, entry);
    }
    book.finish(index, entry);
    run.count(entry, fresh);
  };
  const shotContext: ShotContext = { storyboardId, input, run, finish };

  // ---- the sliding window ----
  let nextIndex = carry.cursor;
  let launchedThisRun = 0;
  const launched: Promise<void>[] = [];
  // A review lives in one run: draft mode never continues as new (it is bounded by MAX_DRAFT_SHOTS instead).
  const timeToContinue = () => !review && (launchedThisRun >= input.shotsPerRun || workflowInfo().continueAsNewSuggested);
  while (nextIndex < totalShots && !run.toleranceExceeded && !timeToContinue()) {
    await condition(() => run.mayLaunch());
    if (run.toleranceExceeded) break;
    const index = nextIndex++;
    const staged = await book.shotAt(index);
    if (!staged) throw new Error(`shot ${index} missing from staged page ${Math.floor(index / STAGE_PAGE_SIZE)}`);
    if (staged.stored) {
      finish(index, staged.stored, false);
      continue;
    }
    // With a budget, the shot's estimate is reserved first: this may pause the storyboard.
    if (input.budget) {
      // A currency budget cannot count a model its prices leave out: the shot fails unsubmitted rather than spend uncounted.
      const unpriced = unpricedProblem(input.budget, staged.shot);
      if (unpriced) {
        finish(index, { shotId: staged.id, status: 'failed', failureType: FailureType.InvalidRequest, failureMessage: unpriced }, true);
        continue;
      }
      await run.reserve(staged.id, reservationFor(input.budget, review?.launchShot(staged.shot) ?? staged.shot));
      if (run.toleranceExceeded) {
        // The tolerance ended launching while the shot waited for room: it stays not started.
        run.release(staged.id);
        nextIndex--;
        break;
      }
    }
    launchedShots.set(staged.id, staged.shot);
    run.inFlight++;
    launchedThisRun++;
    launched.push((review?.runShot ?? runShot)(shotContext, index, staged.id, staged.shot).finally(() => run.inFlight--));
  }
  review?.allLaunched();
  await Promise.all(launched);

  // ---- history hygiene: the next run goes on from the cursor ----
  if (nextIndex < totalShots && !run.toleranceExceeded) {
    await book.flushed();
    log.info('continuing as new', { storyboardId, cursor: nextIndex, run: carry.runs });
    const next: StoryboardCarry = { ...carry, cursor: nextIndex };
    const partial = book.openEntriesAt(nextIndex);
    if (partial) next.partial = partial;
    else delete next.partial;
    // The next run reads the staged pages: a file or inline storyboard is not staged again.
    const nextInput: RenderStoryboardInput = givenStaged
      ? rawInput
      : {
          ...withoutSource(rawInput),
          stagedPrefix: input.stagedPrefix,
          totalShots,
          ...(budget ? { budget } : {}),
          ...(mode ? { mode } : {}),
        };
    await continueAsNew<typeof renderStoryboard>({ ...nextInput, carry: next });
  }

  // Shots never launched (tolerance exceeded) still get a manifest line.
  for (let index = nextIndex; index < totalShots; index++) {
    const staged = await book.shotAt(index);
    if (staged?.stored) finish(index, staged.stored, false);
    else book.markNotStarted(index, staged?.id as string);
  }
  await book.flushed();

  const budgetNow = run.progress().budget;
  const manifest = await writeManifest({ storyboardId, totalShots, ...(budgetNow ? { budget: budgetNow } : {}) });
  const report = await writeReportOrWarn(storyboardId, input.stagedPrefix, totalShots);
  const final = run.progress();
  return {
    storyboardId,
    manifestKey: manifest.manifestKey,
    manifestUrl: manifest.manifestUrl,
    ...(report ? { reportKey: report.reportKey, reportUrl: report.reportUrl } : {}),
    counts: { ...final.counts, pending: 0, not_started: totalShots - carry.stored - carry.failed },
    tokensUsed: carry.tokensUsed,
    ...(final.budget ? { budget: final.budget } : {}),
    ...(manifest.entries ? { shots: manifest.entries } : {}),
  };
}

/** The input's options without its file or inline storyboard. */
function withoutSource(input: RenderStoryboardInput): Omit<RenderStoryboardInput, 'source' | 'storyboard'> {
  const { source: _source, storyboard: _storyboard, ...rest } = input as RenderStoryboardInput & { source?: string; storyboard?: unknown };
  return rest;
}
