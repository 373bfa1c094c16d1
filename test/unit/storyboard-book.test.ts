/**
 * The storyboard's page book and run state, without Temporal: pages load once, every outcome
 * goes through the one flush (finished and never-started shots alike), the carried partial
 * page is completed, and counts, phases and the tolerance move as the workflow reads them.
 * The workflow around them is tested in test/workflows/ and by replay.
 */
import type { PageShot } from '../../activities/storyboard/activities';
import { STAGE_PAGE_SIZE, type ManifestEntry, type StoryboardCarry } from '../../common/storyboard';

const loadShotPage = jest.fn<Promise<PageShot[]>, [{ storyboardId: string; stagedPrefix: string; page: number }]>();
const recordOutcomes = jest.fn<Promise<void>, [{ storyboardId: string; page: number; entries: ManifestEntry[] }]>();
jest.mock('../../workflows/storyboard-activities', () => ({
  loadShotPage: (input: never) => loadShotPage(input),
  recordOutcomes: (input: never) => recordOutcomes(input),
}));
const warn = jest.fn();
jest.mock('@temporalio/workflow', () => ({ ...jest.requireActual('@temporalio/workflow'), log: { warn, info: jest.fn() } }));

// jest hoists the mocks above every import, so these get the fakes.
import { PageBook } from '../../workflows/storyboard-book';
import { StoryboardRun } from '../../workflows/storyboard-run';

const PREFIX = 'b/.state/input-0123456789abcdef';
const shotsOf = (page: number, n = STAGE_PAGE_SIZE): PageShot[] =>
  Array.from({ length: n }, (_, i) => ({ id: `s${page * STAGE_PAGE_SIZE + i}`, shot: { prompt: 'p' } }));
const stored = (shotId: string): ManifestEntry => ({ shotId, status: 'stored', key: `b/${shotId}.mp4`, usage: { totalTokens: 10 } });
const failed = (shotId: string): ManifestEntry => ({ shotId, status: 'failed', failureType: 'TaskFailed' });

beforeEach(() => {
  loadShotPage.mockReset().mockImplementation(async ({ page }) => shotsOf(page, page === 1 ? 3 : STAGE_PAGE_SIZE));
  recordOutcomes.mockReset().mockResolvedValue(undefined);
  warn.mockReset();
});

describe('the page book', () => {
  test('a page is read once while open, and flushed once when its last shot has an outcome', async () => {
    const book = new PageBook('b', PREFIX, undefined);
    expect((await book.shotAt(100))?.id).toBe('s100');
    expect((await book.shotAt(102))?.id).toBe('s102');
    expect(loadShotPage).toHaveBeenCalledTimes(1);
    expect(loadShotPage).toHaveBeenCalledWith({ storyboardId: 'b', stagedPrefix: PREFIX, page: 1 });
    book.finish(100, stored('s100'));
    book.finish(101, failed('s101'));
    expect(recordOutcomes).not.toHaveBeenCalled();
    book.finish(102, stored('s102'));
    expect(recordOutcomes).toHaveBeenCalledTimes(1);
    expect(recordOutcomes).toHaveBeenCalledWith({ storyboardId: 'b', page: 1, entries: [stored('s100'), failed('s101'), stored('s102')] });
    await book.flushed();
    // Flushed pages are forgotten: a late outcome is a bug, and a read loads the page again.
    expect(() => book.finish(101, stored('s101'))).toThrow('page 1 finished before it was loaded');
    await book.shotAt(100);
    expect(loadShotPage).toHaveBeenCalledTimes(2);
  });

  test('never-started shots go through the same flush, which forgets the page the same way', async () => {
    const book = new PageBook('b', PREFIX, undefined);
    for (let i = 100; i < 103; i++) {
      const shot = await book.shotAt(i);
      if (i === 100) book.finish(i, stored('s100'));
      else book.markNotStarted(i, shot?.id as string);
    }
    expect(recordOutcomes).toHaveBeenCalledTimes(1);
    expect(recordOutcomes.mock.calls[0]?.[0].entries).toEqual([
      stored('s100'),
      { shotId: 's101', status: 'not_started' },
      { shotId: 's102', status: 'not_started' },
    ]);
    expect(book.openEntriesAt(100)).toBeUndefined();
    await book.shotAt(101);
    expect(loadShotPage).toHaveBeenCalledTimes(2);
  });

  test('marking a shot of a page that is not open does nothing', () => {
    const book = new PageBook('b', PREFIX, undefined);
    book.markNotStarted(5, 's5');
    expect(recordOutcomes).not.toHaveBeenCalled();
  });

  test("the carried partial page: an earlier run's outcomes fill it; the rest close it", async () => {
    const partial: StoryboardCarry['partial'] = { page: 1, entries: [stored('s100'), null, null] };
    const book = new PageBook('b', PREFIX, partial);
    await book.shotAt(101);
    expect(book.openEntriesAt(101)).toEqual({ page: 1, entries: [stored('s100'), null, null] });
    book.finish(101, stored('s101'));
    expect(book.openEntriesAt(102)).toEqual({ page: 1, entries: [stored('s100'), stored('s101'), null] });
    book.finish(102, failed('s102'));
    expect(recordOutcomes).toHaveBeenCalledWith({ storyboardId: 'b', page: 1, entries: [stored('s100'), stored('s101'), failed('s102')] });
  });
});

describe('the run state', () => {
  const carry = (): StoryboardCarry => ({
    cursor: 0,
    stored: 0,
    failed: 0,
    tokensUsed: 0,
    window: 2,
    paused: false,
    runs: 1,
    startedAt: 5,
  });

  test('counts, tokens of fresh shots only, and the tolerance', () => {
    const run = new StoryboardRun({ storyboardId: 'b', totalShots: 10, tolerance: { maxFailures: 1 } }, carry());
    run.count(stored('a'), true);
    run.count(stored('b'), false);
    run.count(failed('c'), true);
    expect(run.toleranceExceeded).toBe(false);
    run.count(failed('d'), true);
    expect(run.toleranceExceeded).toBe(true);
    expect(warn).toHaveBeenCalledTimes(1);
    const p = run.progress();
    expect(p.counts).toEqual({ pending: 6, submitted: 0, rendering: 0, copying: 0, stored: 2, failed: 2 });
    expect(p).toMatchObject({ tokensUsed: 10, shots: { a: 'stored', b: 'stored', c: 'failed', d: 'failed' }, toleranceExceeded: true });
  });

  test('phases only move a shot forward; unknown children are ignored', () => {
    const run = new StoryboardRun({ storyboardId: 'b', totalShots: 2, tolerance: {} }, carry());
    run.idByWorkflow.set('b/a', 'a');
    run.shots.a = 'pending';
    run.onPhases([
      { workflowId: 'b/a', phase: 'rendering' },
      { workflowId: 'b/a', phase: 'submitted' },
      { workflowId: 'b/zzz', phase: 'copying' },
    ]);
    expect(run.shots).toEqual({ a: 'rendering' });
    expect(run.progress().counts).toMatchObject({ rendering: 1, pending: 1 });
  });

  test('the window has room unless paused or full; pause, resume and setWindow change the carry', () => {
    const c = carry();
    const run = new StoryboardRun({ storyboardId: 'b', totalShots: 5, tolerance: {} }, c);
    expect(run.mayLaunch()).toBe(true);
    run.inFlight = 2;
    expect(run.mayLaunch()).toBe(false);
    expect(run.setWindow(3)).toBe(3);
    expect(run.mayLaunch()).toBe(true);
    run.pause('budget');
    expect(run.mayLaunch()).toBe(false);
    expect(run.progress()).toMatchObject({ paused: true, pauseReason: 'budget', window: 3 });
    run.resume();
    expect(c).toMatchObject({ paused: false, window: 3 });
    expect('pauseReason' in c).toBe(false);
  });
});
