/**
 * renderStoryboard: fans a storyboard out into one renderVideo child per shot, through a
 * sliding window, with progress, pause/resume, a failure tolerance and continue-as-new.
 *
 * The pieces: the page book (storyboard-book.ts) reads staged shots and records outcomes a
 * page at a time; the run (storyboard-run.ts) holds counts and per-shot states, which the
 * handlers (storyboard-handlers.ts) answer from; each shot is a child (storyboard-shot.ts).
 */
import { condition, continueAsNew, log, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { FailureType, failure } from '../common/errors';
import { StoryboardIdKey } from '../common/search-attributes';
import { formatIssues } from '../common/shot';
import {
  RenderStoryboardInputSchema,
  STAGE_PAGE_SIZE,
  type ManifestEntry,
  type RenderStoryboardInput,
  type StoryboardCarry,
  type StoryboardResult,
} from '../common/storyboard';
import { writeManifest, writeReportOrWarn } from './storyboard-activities';
import { PageBook } from './storyboard-book';
import { installStoryboardHandlers } from './storyboard-handlers';
import { StoryboardRun } from './storyboard-run';
import { runShot, type ShotContext } from './storyboard-shot';

/**
 * Renders every shot of a staged storyboard and writes its manifest (and report.html) next
 * to the videos. Completes with per-shot outcomes even when shots fail; fails only on
 * invalid input. Its workflow id is the storyboard id: starting it again while it runs
 * attaches; after it finished, it renders only what is missing or failed.
 *
 * Stage the shots first (`stageStoryboard()` in client/storyboard-file.ts, or pages of
 * `{id, shot}` objects); the CLI starts it with `startStoryboard()` (client/storyboard.ts).
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
 */
export async function renderStoryboard(rawInput: RenderStoryboardInput): Promise<StoryboardResult> {
  const parsed = RenderStoryboardInputSchema.safeParse(rawInput);
  if (!parsed.success) throw failure(FailureType.InvalidRequest, `invalid storyboard input: ${formatIssues(parsed.error).join('; ')}`);
  const input = parsed.data;
  const { storyboardId, totalShots } = input;
  const carry: StoryboardCarry = input.carry ?? {
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

  const run = new StoryboardRun(input, carry);
  installStoryboardHandlers(run);
  const book = new PageBook(storyboardId, input.stagedPrefix, carry.partial);
  const finish = (index: number, entry: ManifestEntry, fresh: boolean): void => {
    book.finish(index, entry);
    run.count(entry, fresh);
  };
  const shotContext: ShotContext = { storyboardId, input, run, finish };

  // ---- the sliding window ----
  let nextIndex = carry.cursor;
  let launchedThisRun = 0;
  const launched: Promise<void>[] = [];
  const timeToContinue = () => launchedThisRun >= input.shotsPerRun || workflowInfo().continueAsNewSuggested;
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
    run.inFlight++;
    launchedThisRun++;
    launched.push(runShot(shotContext, index, staged.id, staged.shot).finally(() => run.inFlight--));
  }
  await Promise.all(launched);

  // ---- history hygiene: the next run goes on from the cursor ----
  if (nextIndex < totalShots && !run.toleranceExceeded) {
    await book.flushed();
    log.info('continuing as new', { storyboardId, cursor: nextIndex, run: carry.runs });
    const next: StoryboardCarry = { ...carry, cursor: nextIndex };
    const partial = book.openEntriesAt(nextIndex);
    if (partial) next.partial = partial;
    else delete next.partial;
    await continueAsNew<typeof renderStoryboard>({ ...rawInput, carry: next });
  }

  // Shots never launched (tolerance exceeded) still get a manifest line.
  for (let index = nextIndex; index < totalShots; index++) {
    const staged = await book.shotAt(index);
    if (staged?.stored) finish(index, staged.stored, false);
    else book.markNotStarted(index, staged?.id as string);
  }
  await book.flushed();

  const manifest = await writeManifest({ storyboardId, totalShots });
  const report = await writeReportOrWarn(storyboardId, input.stagedPrefix, totalShots);
  const final = run.progress();
  return {
    storyboardId,
    manifestKey: manifest.manifestKey,
    manifestUrl: manifest.manifestUrl,
    ...(report ? { reportKey: report.reportKey, reportUrl: report.reportUrl } : {}),
    counts: { ...final.counts, pending: 0, not_started: totalShots - carry.stored - carry.failed },
    tokensUsed: carry.tokensUsed,
    ...(manifest.entries ? { shots: manifest.entries } : {}),
  };
}
