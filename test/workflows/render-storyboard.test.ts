/**
 * renderStoryboard on a time-skipping server with fake activities: it pauses on an
 * insufficient balance and resumes the held shot, stops launching past the failure
 * tolerance, and carries its counts and a half-finished page through continue-as-new.
 * Its children are the real renderVideo.
 */
import type { WorkflowHandle, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import type { PageShot } from '../../activities/storyboard/activities';
import { FailureType } from '../../common/errors';
import type { RenderStoryboardInput, StoryboardProgress } from '../../common/storyboard';
import { resumeSignal, storyboardProgressQuery, type renderStoryboard } from '../../workflows';
import { typedFailure } from './fakes';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

jest.setTimeout(60_000);

let h: WorkflowHarness;
beforeAll(async () => {
  h = await startWorkflowHarness('render-storyboard');
}, 180_000);
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => h.provider.reset());

const shotId = (i: number) => `s${String(i).padStart(2, '0')}`;
const promptOf = (storyboardId: string, id: string) => `${storyboardId} ${id}`;

/** Stages `count` shots s01, s02, ... whose prompts name their storyboard, so each test scripts its own. */
function stage(storyboardId: string, count: number, stored: Record<string, true> = {}) {
  const shots: PageShot[] = Array.from({ length: count }, (_, i) => {
    const id = shotId(i + 1);
    const shot: PageShot = { id, shot: { prompt: promptOf(storyboardId, id) } };
    if (stored[id]) {
      shot.stored = {
        shotId: id,
        status: 'stored',
        taskId: `earlier-${id}`,
        key: `${storyboardId}/${id}.mp4`,
        sha256: 'x',
        bytes: 1,
        reused: true,
      };
    }
    return shot;
  });
  return h.store.stage(storyboardId, shots);
}

function start(storyboardId: string, count: number, extra: Partial<RenderStoryboardInput> = {}, stored: Record<string, true> = {}) {
  return h.env.client.workflow.start<typeof renderStoryboard>('renderStoryboard', {
    taskQueue: h.taskQueue,
    workflowId: storyboardId,
    // The test server has no custom search attributes.
    args: [{ ...stage(storyboardId, count, stored), searchAttributes: false, ...extra }],
  });
}

/** Queries until `done` holds, for at most `ms` of real time. */
async function progressUntil(
  handle: WorkflowHandle,
  what: string,
  done: (p: StoryboardProgress) => boolean,
  ms = 10_000,
): Promise<StoryboardProgress> {
  const deadline = Date.now() + ms;
  for (;;) {
    const p = await handle.query(storyboardProgressQuery);
    if (done(p)) return p;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; progress: ${JSON.stringify(p)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const launched = (storyboardId: string) =>
  new Set(h.provider.submits.filter((s) => s.workflowId.startsWith(`${storyboardId}/`)).map((s) => s.workflowId.split('/')[1]));

test('insufficient balance pauses the storyboard: nothing launches while paused, resume renders the held shot', async () => {
  const id = 'balance';
  h.provider.onSubmit(promptOf(id, 's02'), { fail: typedFailure(FailureType.InsufficientBalance) }, 'accept');
  const handle = await start(id, 4, { window: 2 });

  const paused = await progressUntil(handle, 'the pause', (p) => p.paused);
  expect(paused.pauseReason).toMatch(/insufficient balance/);
  // An hour of workflow time: s01 finishes and frees a slot of the window, yet s03 waits.
  await h.env.sleep(60 * 60_000);
  const still = await progressUntil(handle, 's01 stored', (p) => p.counts.stored === 1);
  expect(still).toMatchObject({ paused: true, counts: { failed: 0 } });
  expect([...launched(id)].sort()).toEqual(['s01', 's02']);
  expect(h.provider.submitsOf(promptOf(id, 's02'))).toHaveLength(1);

  await handle.signal(resumeSignal);
  const result = await handle.result();
  expect(result.counts).toMatchObject({ stored: 4, failed: 0, not_started: 0 });
  // The held shot is tried again, not recorded as failed; the others once each.
  expect(h.provider.submitsOf(promptOf(id, 's02'))).toHaveLength(2);
  for (const s of ['s01', 's03', 's04']) expect(h.provider.submitsOf(promptOf(id, s))).toHaveLength(1);
  expect(result.shots?.map((s) => s.status)).toEqual(['stored', 'stored', 'stored', 'stored']);
});

describe('the failure tolerance', () => {
  test('maxFailures: past it no new shot is launched, the rest are not_started', async () => {
    const id = 'tolerance-count';
    for (const s of ['s02', 's04', 's05']) h.provider.onPoll(promptOf(id, s), { status: 'failed' });
    const result = await (await start(id, 12, { window: 1, tolerance: { maxFailures: 2 } })).result();
    expect(result.counts).toMatchObject({ stored: 2, failed: 3, not_started: 7 });
    expect([...launched(id)].sort()).toEqual(['s01', 's02', 's03', 's04', 's05']);
    expect(result.shots?.map((s) => s.status)).toEqual(['stored', 'failed', 'stored', 'failed', 'failed', ...Array(7).fill('not_started')]);
    expect(result.shots?.[1]).toMatchObject({ failureType: FailureType.TaskFailed, taskId: expect.any(String) });
    // The manifest's page was recorded once, not_started lines included.
    expect(h.store.outcomePages.get(`${id}#0`)).toHaveLength(12);
  });

  test('maxFailurePercent is judged only after 10 finished shots', async () => {
    const id = 'tolerance-percent';
    // Three failures first (100%, but too few shots to judge), 3/10 = 30% is not over 30%, 4/11 is.
    for (const s of ['s01', 's02', 's03', 's11']) h.provider.onPoll(promptOf(id, s), { status: 'failed' });
    const result = await (await start(id, 20, { window: 1, tolerance: { maxFailurePercent: 30 } })).result();
    expect(result.counts).toMatchObject({ stored: 7, failed: 4, not_started: 9 });
    expect(launched(id).size).toBe(11);
  });
});

test('continue-as-new carries counts, tokens and the half-finished page; each shot is launched once', async () => {
  const id = 'carry';
  // s03 was stored by an earlier render (reused, not launched); s05 fails; each new video costs 100 tokens.
  for (let i = 1; i <= 7; i++) h.provider.onPoll(promptOf(id, shotId(i)), { status: 'succeeded', totalTokens: 100 });
  h.provider.onPoll(promptOf(id, 's05'), { status: 'failed' });
  const handle = await start(id, 7, { window: 2, shotsPerRun: 2 }, { s03: true });
  const result = await handle.result();

  expect(result.counts).toMatchObject({ stored: 6, failed: 1, not_started: 0 });
  expect(result.tokensUsed).toBe(500);
  expect(result.shots?.map((s) => [s.shotId, s.status, s.reused ?? false])).toEqual([
    ['s01', 'stored', false],
    ['s02', 'stored', false],
    ['s03', 'stored', true],
    ['s04', 'stored', false],
    ['s05', 'failed', false],
    ['s06', 'stored', false],
    ['s07', 'stored', false],
  ]);
  for (const s of ['s01', 's02', 's04', 's05', 's06', 's07']) expect(h.provider.submitsOf(promptOf(id, s))).toHaveLength(1);
  expect(launched(id).has('s03')).toBe(false);

  // The runs: two shots launched per run, then continue-as-new with the state so far.
  const carried = await carriedStates(handle);
  expect(carried).toEqual([
    expect.objectContaining({ cursor: 2, stored: 2, failed: 0, tokensUsed: 200, runs: 1 }),
    expect.objectContaining({ cursor: 5, stored: 4, failed: 1, tokensUsed: 300, runs: 2 }),
  ]);
  // The page (all 7 shots) was unfinished at each hand-over: its finished outcomes travel
  // with the carry, and it is recorded once, by the last run.
  expect(carried.map((c) => c.partial?.page)).toEqual([0, 0]);
  expect(carried[0]?.partial?.entries.map((e) => e?.status ?? null)).toEqual(['stored', 'stored', null, null, null, null, null]);
  expect(carried[1]?.partial?.entries.map((e) => e?.status ?? null)).toEqual([
    'stored',
    'stored',
    'stored',
    'stored',
    'failed',
    null,
    null,
  ]);
  expect(h.store.outcomePages.get(`${id}#0`)?.map((e) => e.status)).toEqual(result.shots?.map((s) => s.status));
});

test('continuity across continue-as-new and an earlier run: each continuing shot gets the frame of its source, and the carry forgets used frames', async () => {
  const id = 'chain';
  const frame = (taskId: string) => `file:///renders/inputs/frame-${taskId}.png`;
  // s01 → s02 → s05 and s03 (stored by an earlier run, with its frame) → s04; one shot launched per run.
  const shots: PageShot[] = [
    { id: 's01', shot: { prompt: promptOf(id, 's01'), return_last_frame: true }, dependents: 1 },
    { id: 's02', shot: { prompt: promptOf(id, 's02'), return_last_frame: true }, continueFrom: 's01', dependents: 1 },
    {
      id: 's03',
      shot: { prompt: promptOf(id, 's03'), return_last_frame: true },
      dependents: 1,
      stored: {
        shotId: 's03',
        status: 'stored',
        taskId: 'earlier-s03',
        key: `${id}/s03.mp4`,
        sha256: 'x',
        bytes: 1,
        reused: true,
        lastFrame: { key: `${id}/s03.last-frame.png`, url: 'u', sha256: 'y', bytes: 1, inputUrl: frame('earlier-s03') },
      },
    },
    { id: 's04', shot: { prompt: promptOf(id, 's04') }, continueFrom: 's03' },
    { id: 's05', shot: { prompt: promptOf(id, 's05') }, continueFrom: 's02' },
  ];
  const handle = await h.env.client.workflow.start<typeof renderStoryboard>('renderStoryboard', {
    taskQueue: h.taskQueue,
    workflowId: id,
    args: [{ ...h.store.stage(id, shots), searchAttributes: false, window: 2, shotsPerRun: 1 }],
  });
  const result = await handle.result();

  expect(result.counts).toMatchObject({ stored: 5, failed: 0, not_started: 0 });
  const submitted = (shot: string) => h.provider.submits.filter((s) => s.prompt === promptOf(id, shot));
  const taskOf = (shot: string) => result.shots?.find((e) => e.shotId === shot)?.taskId as string;
  expect(submitted('s01').map((s) => s.firstFrame)).toEqual([undefined]);
  expect(submitted('s02').map((s) => s.firstFrame)).toEqual([frame(taskOf('s01'))]);
  expect(submitted('s04').map((s) => s.firstFrame)).toEqual([frame('earlier-s03')]);
  expect(submitted('s05').map((s) => s.firstFrame)).toEqual([frame(taskOf('s02'))]);
  expect(submitted('s03')).toHaveLength(0);
  expect(result.shots?.map((e) => [e.shotId, e.continuedFrom ?? null, e.lastFrame?.inputUrl ?? null])).toEqual([
    ['s01', null, frame(taskOf('s01'))],
    ['s02', 's01', frame(taskOf('s02'))],
    ['s03', null, frame('earlier-s03')],
    ['s04', 's03', null],
    ['s05', 's02', null],
  ]);
  // Frames still to be used travel with the carry; a frame every continuing shot has taken is dropped:
  // each carried source still has a continuing shot at or after the cursor, and counts exactly those.
  const carried = (await carriedStates(handle)) as (Carried & { sources?: Record<string, { waiting: number }> })[];
  expect(carried.length).toBeGreaterThan(1);
  const indexOf = (id: string) => shots.findIndex((s) => s.id === id);
  for (const c of carried) {
    for (const [from, source] of Object.entries(c.sources ?? {})) {
      const ahead = shots.filter((s) => s.continueFrom === from && indexOf(s.id) >= c.cursor).length;
      expect({ from, cursor: c.cursor, waiting: source.waiting }).toEqual({ from, cursor: c.cursor, waiting: ahead });
    }
  }
  expect(carried.some((c) => c.sources?.s02)).toBe(true);
});

interface Carried {
  cursor: number;
  stored: number;
  failed: number;
  tokensUsed: number;
  runs: number;
  partial?: { page: number; entries: ({ status: string } | null)[] };
}

/** The `carry` each run handed the next, following the chain of runs from the first. */
async function carriedStates(handle: WorkflowHandleWithFirstExecutionRunId): Promise<Carried[]> {
  const out: Carried[] = [];
  let runId: string | undefined = handle.firstExecutionRunId;
  for (let i = 0; runId && i < 10; i++) {
    const history: Awaited<ReturnType<WorkflowHandle['fetchHistory']>> = await h.env.client.workflow
      .getHandle(handle.workflowId, runId)
      .fetchHistory();
    const events = history.events ?? [];
    const next = events[events.length - 1]?.workflowExecutionContinuedAsNewEventAttributes;
    if (!next) break;
    const payload = next.input?.payloads?.[0]?.data;
    const input = JSON.parse(Buffer.from(payload ?? []).toString('utf8')) as { carry: Carried };
    out.push(input.carry);
    runId = next.newExecutionRunId ?? undefined;
  }
  return out;
}
