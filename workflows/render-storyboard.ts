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
import { ContinuityBook } from './storyboard-continuity';
import { continuedShot } from '../common/continuity';
import type { PageShot } from '../activities/storyboard/activities';
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
  // The input's budget, audio policy and mode, else the file's (a file or inline storyboard may carry them).
  const { budget: fileBudget, onAudioPolicy: fileAudioPolicy, mode: fileMode, ...stagedShots } = staged;
  const budget = options.budget ?? fileBudget;
  const onAudioPolicy = options.onAudioPolicy ?? fileAudioPolicy;
  const mode = options.mode ?? fileMode;
  const input: ParsedStoryboardInput = {
    ...options,
    ...stagedShots,
    ...(budget ? { budget } : {}),
    ...(onAudioPolicy ? { onAudioPolicy } : {}),
    ...(mode ? { mode } : {}),
  };
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
  const continuity = new ContinuityBook(carry);
  // Continuing shots seen in this run, by id: the shot each continues from, for its manifest line.
  const chain = new Map<string, string>();
  // The shots launched and not yet finished, for their estimates and budget settlements.
  const launchedShots = new Map<string, ShotInput>();
  const finish = (index: number, entry: ManifestEntry, fresh: boolean): void => {
    const shot = fresh ? launchedShots.get(entry.shotId) : undefined;
    if (shot) {
      launchedShots.delete(entry.shotId);
      entry = { ...entry, estimatedTokens: estimateShot(shot).tokens };
      run.settle(entry.shotId, shot, entry);
    }
    entry = withChain(entry);
    book.finish(index, entry);
    run.count(entry, fresh);
    continuity.record(entry);
  };
  /** A continuing shot whose source has no last frame: it ends not started, with the reason. */
  const block = (index: number, shotId: string, reason: string): void => {
    const entry = withChain({ shotId, status: 'not_started', reason });
    book.finish(index, entry);
    run.shots[shotId] = 'not_started';
    continuity.record(entry);
  };
  const withChain = (entry: ManifestEntry): ManifestEntry => {
    const from = chain.get(entry.shotId);
    if (from === undefined) return entry;
    chain.delete(entry.shotId);
    return { ...entry, continuedFrom: from };
  };
  // A second paid task for a launched shot (a silent retry): the first settles on its own
  // outcome, the new one is charged by its own request (no audio) and reserves before it is submitted.
  const relaunch = async (shotId: string, first: ManifestEntry, shot: ShotInput): Promise<void> => {
    const launchedAs = launchedShots.get(shotId);
    if (launchedAs) run.settle(shotId, launchedAs, first);
    launchedShots.set(shotId, shot);
    if (input.budget) await run.reserve(shotId, reservationFor(input.budget, shot));
  };
  const shotContext: ShotContext = { storyboardId, input, run, finish, relaunch };

  /** Starts the shot's child, its budget already reserved. */
  const start = (index: number, shotId: string, shot: ShotInput): Promise<void> => {
    launchedShots.set(shotId, shot);
    run.inFlight++;
    // Draft mode: the review runs the shot (draft, approval, final) instead.
    return (review?.runShot ?? runShot)(shotContext, index, shotId, shot).finally(() => run.inFlight--);
  };
  // Continuing shots wait for their source outside the window, then take a place in it like any
  // shot: once a shot has waited there, every launch checks the window again just before it starts.
  let waitedOutside = false;
  const roomInWindow = async (): Promise<void> => {
    while (!run.mayLaunch()) await condition(() => run.mayLaunch());
  };
  /** A continuing shot whose source has not finished: it waits for the frame, then for the budget and a place in the window. */
  const continueLater = async (index: number, staged: PageShot, from: string): Promise<void> => {
    waitedOutside = true;
    run.waitingForFrame.set(staged.id, from);
    const source = await continuity.take(from);
    run.waitingForFrame.delete(staged.id);
    if ('missing' in source) return block(index, staged.id, source.missing);
    if (input.budget) {
      const unpriced = unpricedProblem(input.budget, staged.shot);
      if (unpriced) return finish(index, unpricedEntry(staged.id, unpriced), true);
      await run.reserve(staged.id, reservationFor(input.budget, review?.launchShot(staged.shot) ?? staged.shot));
    }
    await roomInWindow();
    if (run.toleranceExceeded) {
      run.release(staged.id);
      return block(index, staged.id, 'the failure tolerance was exceeded before it could start');
    }
    await start(index, staged.id, continuedShot(staged.shot, source.frame));
  };

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
    continuity.expect(staged);
    const from = staged.continueFrom;
    if (from !== undefined) chain.set(staged.id, from);
    if (staged.stored) {
      if (from !== undefined) continuity.release(from);
      finish(index, staged.stored, false);
      continue;
    }
    let shot = staged.shot;
    if (from !== undefined) {
      if (!continuity.ready(from)) {
        launchedThisRun++;
        launched.push(continueLater(index, staged, from));
        continue;
      }
      const source = await continuity.take(from);
      if ('missing' in source) {
        block(index, staged.id, source.missing);
        continue;
      }
      shot = continuedShot(staged.shot, source.frame);
    }
    // With a budget, the shot's estimate is reserved first: this may pause the storyboard.
    if (input.budget) {
      // A currency budget cannot count a model its prices leave out: the shot fails unsubmitted rather than spend uncounted.
      const unpriced = unpricedProblem(input.budget, staged.shot);
      if (unpriced) {
        finish(index, unpricedEntry(staged.id, unpriced), true);
        continue;
      }
      await run.reserve(staged.id, reservationFor(input.budget, review?.launchShot(staged.shot) ?? staged.shot));
    }
    if (waitedOutside) await roomInWindow();
    if ((input.budget || waitedOutside) && run.toleranceExceeded) {
      // The tolerance ended launching while the shot waited for room: it stays not started.
      run.release(staged.id);
      nextIndex--;
      break;
    }
    launchedThisRun++;
    launched.push(start(index, staged.id, shot));
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
          ...(onAudioPolicy ? { onAudioPolicy } : {}),
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

/** The manifest line of a shot a currency budget cannot price: failed, never submitted. */
function unpricedEntry(shotId: string, problem: string): ManifestEntry {
  return { shotId, status: 'failed', failureType: FailureType.InvalidRequest, failureMessage: problem };
}

/** The input's options without its file or inline storyboard. */
function withoutSource(input: RenderStoryboardInput): Omit<RenderStoryboardInput, 'source' | 'storyboard'> {
  const { source: _source, storyboard: _storyboard, ...rest } = input as RenderStoryboardInput & { source?: string; storyboard?: unknown };
  return rest;
}
