/**
 * Moderation handled, not just reported, end to end on the real Temporal server, MinIO and the
 * simulator: every content-policy failure carries its stage; with `on_audio_policy:
 * retry_silent` a shot blocked only for its generated audio is rendered once more with
 * `generate_audio: false` (exactly one extra task, reserved against the budget and charged);
 * never for input or video moderation, never without the option.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setStoryboardBudget, startStoryboard } from '../../client/storyboard';
import { estimateShot } from '../../common/estimate';
import type { ManifestEntry, RenderStoryboardInput, StoryboardResult } from '../../common/storyboard';
import type { SimulatorTaskStats } from '../../simulator/types';
import { storyboardProgressQuery } from '../../workflows';
import { runCli } from '../helpers/cli';
import { FAST_SCHEDULE, s3Text, startHarness, waitFor, type Harness } from '../helpers/harness';
import { stageBoard, startBoard } from '../helpers/storyboard';

jest.setTimeout(300_000);

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sim: { renderMs: 800, queueMs: 100 } });
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => h.sim.reset());

const uniqueId = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;
/** A model with sound by default (Seedance 1.5 pro), one geometry, so every shot costs the same tokens. */
const DEFAULTS = { model: 'doubao-seedance-1-5-pro-251215', resolution: '480p' as const, ratio: '16:9', duration: 3 };
const TOKENS = estimateShot(DEFAULTS).tokens.max;

/** The simulator's tasks for one shot (its prompt carries the shot id and the storyboard id). */
const tasksOf = (id: string, shotId: string): SimulatorTaskStats[] =>
  h.sim
    .stats()
    .tasks.filter((t) => t.prompt.includes(`${shotId} of ${id}`))
    .sort((a, b) => a.createdAt - b.createdAt);
const entryOf = (r: StoryboardResult, shotId: string): ManifestEntry => {
  const entry = r.shots?.find((s) => s.shotId === shotId);
  if (!entry) throw new Error(`no manifest line for ${shotId}`);
  return entry;
};

/** Starts a storyboard handed over inline, so the workflow stages it (and reads its `on_audio_policy`) itself. */
function startInline(doc: { id: string } & Record<string, unknown>, extra: Partial<RenderStoryboardInput> = {}) {
  return startStoryboard(
    h.client,
    { storyboardId: doc.id, storyboard: doc, schedule: FAST_SCHEDULE, ...extra },
    h.config.SEEDANCE_TASK_QUEUE,
  );
}

test('retry_silent: the audio-blocked shot is submitted once more with generate_audio: false; video and input blocks are not retried', async () => {
  const id = uniqueId('audio');
  const doc = {
    id,
    defaults: DEFAULTS,
    shots: [
      { id: 'chant', prompt: `chant of ${id} [sim:audio-policy]` },
      { id: 'plain', prompt: `plain of ${id}` },
      { id: 'video', prompt: `video of ${id} [sim:output-policy]` },
      { id: 'input', prompt: `input of ${id} [sim:policy]` },
    ],
  };
  const staged = await stageBoard(h, doc);
  const result = await (await startBoard(h, staged, { window: 4, onAudioPolicy: 'retry_silent' })).result();

  // The blocked shot: two tasks, the first with sound, the second silent (on a model that makes sound, only `generate_audio: false` does that).
  const chantTasks = tasksOf(id, 'chant');
  expect(chantTasks.map((t) => [t.status, t.audio])).toEqual([
    ['failed', true],
    ['succeeded', false],
  ]);
  const chant = entryOf(result, 'chant');
  expect(chant).toMatchObject({
    status: 'stored',
    taskId: chantTasks[1]?.id,
    silentRetry: { firstTaskId: chantTasks[0]?.id, firstFailureMessage: expect.stringContaining('OutputAudioSensitiveContentDetected') },
    usage: { totalTokens: TOKENS },
  });

  // Video moderation: failed with its stage, one task, no retry.
  expect(tasksOf(id, 'video')).toHaveLength(1);
  expect(entryOf(result, 'video')).toMatchObject({ status: 'failed', failureType: 'ContentPolicyViolation', failureStage: 'output_video' });
  expect(entryOf(result, 'video')).not.toHaveProperty('silentRetry');
  // Input moderation: refused at submit, no task, no retry.
  expect(tasksOf(id, 'input')).toHaveLength(0);
  expect(entryOf(result, 'input')).toMatchObject({ status: 'failed', failureType: 'ContentPolicyViolation', failureStage: 'input_text' });
  expect(entryOf(result, 'input')).not.toHaveProperty('silentRetry');
  expect(tasksOf(id, 'plain')).toHaveLength(1);
  expect(entryOf(result, 'plain')).not.toHaveProperty('silentRetry');

  // Exactly one extra paid task in all, and its tokens count.
  expect(h.sim.stats().submissions).toBe(4);
  expect(result.counts).toMatchObject({ stored: 2, failed: 2 });
  expect(result.tokensUsed).toBe(2 * TOKENS);

  // The manifest in storage says the same; the report shows the stage and the retry.
  const manifest = JSON.parse(await s3Text(h, `${h.prefix}/${result.manifestKey}`)) as { shots: ManifestEntry[] };
  expect(manifest.shots).toEqual(result.shots);
  expect(result.reportKey).toBeDefined();
  const report = await s3Text(h, `${h.prefix}/${result.reportKey}`);
  expect(report).toContain('ContentPolicyViolation (output_video)');
  expect(report).toContain('ContentPolicyViolation (input_text)');
  expect(report).toContain('silent retry');
  expect(report).toContain(`<code>${chantTasks[0]?.id}</code> was blocked for its generated audio`);
});

test('without the option the audio-blocked shot fails with its stage, after one task', async () => {
  const id = uniqueId('noaudio');
  const doc = { id, defaults: DEFAULTS, shots: [{ id: 'chant', prompt: `chant of ${id} [sim:audio-policy]` }] };
  const result = await (await startInline(doc)).result();
  expect(tasksOf(id, 'chant').map((t) => t.audio)).toEqual([true]);
  expect(entryOf(result, 'chant')).toMatchObject({ status: 'failed', failureType: 'ContentPolicyViolation', failureStage: 'output_audio' });
  expect(entryOf(result, 'chant')).not.toHaveProperty('silentRetry');
  expect(h.sim.stats().submissions).toBe(1);
});

test('a silent retry that is blocked again is not retried a second time', async () => {
  const id = uniqueId('twice');
  // Blocked for its audio, then (silent) for its video: two tasks, then failed with the second stage.
  h.sim.configure({ rates: { contentPolicy: 1 } });
  const doc = {
    id,
    on_audio_policy: 'retry_silent',
    defaults: DEFAULTS,
    shots: [{ id: 'chant', prompt: `chant of ${id} [sim:audio-policy]` }],
  };
  const result = await (await startInline(doc)).result();
  const tasks = tasksOf(id, 'chant');
  expect(tasks.map((t) => [t.status, t.audio])).toEqual([
    ['failed', true],
    ['failed', false],
  ]);
  expect(entryOf(result, 'chant')).toMatchObject({
    status: 'failed',
    taskId: tasks[1]?.id,
    failureStage: 'output_video',
    silentRetry: { firstTaskId: tasks[0]?.id },
  });
});

test('with a budget, the silent retry reserves before it is submitted and is charged', async () => {
  const id = uniqueId('budget');
  // Room for one paid task: the blocked first task reports no usage, the silent retry and the
  // other shot each need the whole budget, so one of them waits until the budget is raised.
  const doc = {
    id,
    on_audio_policy: 'retry_silent',
    budget: { tokens: TOKENS },
    defaults: DEFAULTS,
    shots: [
      { id: 'chant', prompt: `chant of ${id} [sim:audio-policy]` },
      { id: 'plain', prompt: `plain of ${id}` },
    ],
  };
  const handle = await startInline(doc, { window: 2 });
  const held = await waitFor(
    'one paid task stored and the other held by the budget',
    () => handle.query(storyboardProgressQuery),
    (p) =>
      p.paused && p.pauseReason === 'budget' && p.counts.stored === 1 && p.counts.submitted + p.counts.rendering + p.counts.copying === 0,
    60_000,
  );
  expect(held.budget).toMatchObject({ limit: TOKENS, spent: TOKENS });
  // The blocked task, and one paid task: the silent retry or the other shot, never both.
  expect(h.sim.stats().submissions).toBe(2);
  expect(tasksOf(id, 'chant')[0]).toMatchObject({ status: 'failed', audio: true });

  await setStoryboardBudget(h.client, id, 2 * TOKENS);
  const result = await handle.result();
  expect(result.counts).toMatchObject({ stored: 2, failed: 0 });
  expect(tasksOf(id, 'chant').map((t) => [t.status, t.audio])).toEqual([
    ['failed', true],
    ['succeeded', false],
  ]);
  expect(tasksOf(id, 'plain')).toHaveLength(1);
  expect(entryOf(result, 'chant').silentRetry?.firstTaskId).toBe(tasksOf(id, 'chant')[0]?.id);
  expect(result.budget).toMatchObject({ limit: 2 * TOKENS, spent: 2 * TOKENS, reserved: 0 });
  expect(result.tokensUsed).toBe(2 * TOKENS);
});

test('the CLI: on_audio_policy from the file on render and (from the staged record) on retry; status shows stages and the retry', async () => {
  const id = uniqueId('cli');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-audio-cli-'));
  const file = path.join(dir, 'board.yaml');
  writeFileSync(
    file,
    [
      `id: ${id}`,
      'on_audio_policy: retry_silent',
      `defaults: { model: ${DEFAULTS.model}, resolution: ${DEFAULTS.resolution}, ratio: "${DEFAULTS.ratio}", duration: ${DEFAULTS.duration} }`,
      'shots:',
      `  - { id: chant, prompt: "chant of ${id} [sim:audio-policy]" }`,
      `  - { id: video, prompt: "video of ${id} [sim:output-policy]" }`,
      '',
    ].join('\n'),
  );
  // The first submit (chant's, with a window of 1) is refused outright: chant fails unsubmitted this run.
  h.sim.addFaults([{ on: 'submit', status: 400, times: 1 }]);
  const first = await runCli(h, ['render', file, '--wait', '--window', '1']);
  expect(first.code).toBe(1);
  expect(first.stdout).toMatch(/chant: failed InvalidRequest: /);
  expect(first.stdout).toMatch(/video: failed ContentPolicyViolation \(output_video\): /);
  expect(tasksOf(id, 'chant')).toHaveLength(0);

  // `retry` has no file: the policy comes from the staged record. Chant is blocked for its audio, then stored silent.
  const retried = await runCli(h, ['retry', id, '--wait', '--window', '1']);
  expect(tasksOf(id, 'chant').map((t) => [t.status, t.audio])).toEqual([
    ['failed', true],
    ['succeeded', false],
  ]);
  expect(retried.stdout).toContain(
    `chant: rendered again without sound after task ${tasksOf(id, 'chant')[0]?.id} was blocked for its audio (a second paid task)`,
  );
  expect(retried.stdout).toMatch(/video: failed ContentPolicyViolation \(output_video\): /);
  expect(tasksOf(id, 'video')).toHaveLength(2); // failed twice, each run once: never retried silent
});
