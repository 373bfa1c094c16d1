/**
 * renderStoryboard handed a storyboard file (`source`) or an inline storyboard instead of
 * staged shots, on a time-skipping server with fake activities: the first activity stages it
 * once (continue-as-new carries the staged form), an invalid file ends the workflow as
 * InvalidRequest with every problem and nothing is submitted, and the input takes exactly one
 * form, inline storyboards at most 100 shots.
 */
import { WorkflowFailedError, type WorkflowHandle, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { PageShot } from '../../activities/storyboard/activities';
import { FailureType } from '../../common/errors';
import { MAX_INLINE_SHOTS, type RenderStoryboardInput } from '../../common/storyboard';
import type { renderStoryboard } from '../../workflows';
import { startWorkflowHarness, type WorkflowHarness } from './harness';

jest.setTimeout(60_000);

let h: WorkflowHarness;
beforeAll(async () => {
  h = await startWorkflowHarness('storyboard-source');
}, 180_000);
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => h.provider.reset());

const shots = (storyboardId: string, count: number): PageShot[] =>
  Array.from({ length: count }, (_, i) => ({ id: `s${i + 1}`, shot: { prompt: `${storyboardId} s${i + 1}` } }));

function start(input: RenderStoryboardInput): Promise<WorkflowHandleWithFirstExecutionRunId<typeof renderStoryboard>> {
  return h.env.client.workflow.start<typeof renderStoryboard>('renderStoryboard', {
    taskQueue: h.taskQueue,
    workflowId: input.storyboardId,
    // The test server has no custom search attributes.
    args: [{ searchAttributes: false, ...input }],
  });
}

/** The workflow's failure: an ApplicationFailure as the caller sees it. */
async function failureOf(handle: WorkflowHandle): Promise<ApplicationFailure> {
  const err = await handle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const cause = (err as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return cause as ApplicationFailure;
}

const stagingsOf = (storyboardId: string) => h.store.sourceStagings.filter((s) => s.storyboardId === storyboardId);

test('a file in storage is staged by the first activity, once, and every shot renders (through continue-as-new)', async () => {
  const id = 'from-file';
  const source = 's3://bucket/boards/from-file.yaml';
  h.store.file(source, { id, shots: shots(id, 5) });
  const handle = await start({ storyboardId: id, source, window: 2, shotsPerRun: 2 });
  const result = await handle.result();

  expect(result.counts).toMatchObject({ stored: 5, failed: 0, not_started: 0 });
  expect(result.shots?.map((s) => s.shotId)).toEqual(['s1', 's2', 's3', 's4', 's5']);
  for (let i = 1; i <= 5; i++) expect(h.provider.submitsOf(`${id} s${i}`)).toHaveLength(1);
  // Three runs (2 + 2 + 1 launches), one staging: the runs after the first read the staged pages.
  expect(stagingsOf(id)).toEqual([{ storyboardId: id, source }]);
  // The first run handed the next one the staged form, not the file.
  const history = await h.env.client.workflow.getHandle(id, handle.firstExecutionRunId).fetchHistory();
  const continued = history.events?.at(-1)?.workflowExecutionContinuedAsNewEventAttributes;
  const next = JSON.parse(Buffer.from(continued?.input?.payloads?.[0]?.data ?? []).toString('utf8')) as Record<string, unknown>;
  expect(next).toMatchObject({ storyboardId: id, stagedPrefix: `${id}/.state/input-0123abcd`, totalShots: 5, carry: { cursor: 2 } });
  expect(next).not.toHaveProperty('source');
});

test('an invalid file ends the workflow as InvalidRequest listing every problem; nothing is submitted', async () => {
  const id = 'bad-file';
  const source = 'boards/bad-file.yaml';
  const problems = [
    { path: 'shots[0].prompt', message: 'prompt is required' },
    { path: 'shots[2].images[0].path', message: 'missing.png: no such object in storage' },
  ];
  h.store.file(source, { problems });
  const failure = await failureOf(await start({ storyboardId: id, source }));

  expect(failure.type).toBe(FailureType.InvalidRequest);
  expect(failure.nonRetryable).toBe(true);
  expect(failure.message).toContain(`storyboard ${id} (${source}) has 2 problems, nothing was submitted`);
  for (const p of problems) expect(failure.message).toContain(`${p.path}: ${p.message}`);
  expect(failure.details?.[0]).toEqual({ type: FailureType.InvalidRequest, problems });
  expect(h.provider.submits).toEqual([]);
});

test("a file whose id is not the workflow's is refused by the staging activity, naming both", async () => {
  h.store.file('boards/other.yaml', { id: 'someone-else', shots: shots('someone-else', 1) });
  const failure = await failureOf(await start({ storyboardId: 'mine', source: 'boards/other.yaml' }));
  expect(failure.type).toBe(FailureType.InvalidRequest);
  expect(failure.message).toMatch(/id: the storyboard's id is someone-else/);
  expect(h.provider.submits).toEqual([]);
});

test('an inline storyboard of a few shots renders', async () => {
  const id = 'inline-few';
  const storyboard = { id, shots: [1, 2, 3].map((i) => ({ id: `s${i}`, prompt: `${id} s${i}` })) };
  const result = await (await start({ storyboardId: id, storyboard })).result();
  expect(result.counts).toMatchObject({ stored: 3, failed: 0 });
  expect(stagingsOf(id)).toEqual([{ storyboardId: id, storyboard }]);
});

test(`an inline storyboard of more than ${MAX_INLINE_SHOTS} shots is refused before anything runs, pointing at source`, async () => {
  const id = 'inline-many';
  const storyboard = { id, shots: Array.from({ length: MAX_INLINE_SHOTS + 1 }, (_, i) => ({ id: `s${i}`, prompt: 'x' })) };
  const failure = await failureOf(await start({ storyboardId: id, storyboard }));
  expect(failure.type).toBe(FailureType.InvalidRequest);
  expect(failure.message).toContain(`storyboard.shots: an inline storyboard holds at most ${MAX_INLINE_SHOTS} shots, this one has 101`);
  expect(failure.message).toContain('pass its location as source');
  expect(stagingsOf(id)).toEqual([]);
  expect(h.provider.submits).toEqual([]);
});

test('the input takes exactly one form of shots', async () => {
  const staged = h.store.stage('two-forms', shots('two-forms', 1));
  const both = { ...staged, source: 'boards/two-forms.yaml' } as RenderStoryboardInput;
  const failure = await failureOf(await start(both));
  expect(failure.type).toBe(FailureType.InvalidRequest);
  expect(failure.message).toMatch(/give exactly one of stagedPrefix with totalShots .*, source .* or storyboard .*; this input gives 2/);

  const none = { storyboardId: 'no-form' } as RenderStoryboardInput;
  expect((await failureOf(await start(none))).message).toMatch(/this input gives 0/);
  expect(stagingsOf('two-forms')).toEqual([]);
  expect(h.provider.submits).toEqual([]);
});
