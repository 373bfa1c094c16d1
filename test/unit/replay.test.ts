/**
 * Determinism guard: histories recorded from real runs (test/fixtures/histories/record.ts)
 * must replay against today's workflow code without a non-determinism error. Needs no server.
 *
 * The workflows are bundled once per jest run (test/helpers/workflow-bundle.ts) and every
 * recorded history is fed to one replay worker. The negative control replays a recorded
 * history against a deliberately changed renderVideo (test/fixtures/changed-workflows/),
 * which must fail with a DeterminismViolationError: proof that this test would notice.
 */
import type { HistoryAndWorkflowId } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker, type ReplayResult } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { quietRuntime } from '../helpers/time-skipping';
import { workflowBundlePath } from '../helpers/workflow-bundle';

jest.setTimeout(120_000);
quietRuntime();

const DIR = path.resolve(__dirname, '../fixtures/histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
const history = (file: string) => historyFromJSON(JSON.parse(readFileSync(path.join(DIR, file), 'utf8')));

test('there are recorded histories for both workflows', () => {
  expect(files).toEqual(
    expect.arrayContaining([
      'render-video-stored.json',
      'render-video-failed.json',
      'render-video-cancelled.json',
      'render-storyboard-first-run.json',
      'render-storyboard-last-run.json',
      'render-storyboard-budget.json',
      // Recorded before content-policy stages: without on_audio_policy nothing may change.
      'render-storyboard-moderation.json',
      'render-video-audio-policy.json',
      'render-storyboard-silent-retry.json',
      'render-storyboard-draft.json',
      'render-video-final-from-draft.json',
    ]),
  );
});

describe('recorded histories replay against today’s workflows', () => {
  const results = new Map<string, ReplayResult>();
  beforeAll(async () => {
    const codePath = await workflowBundlePath('workflows');
    const histories: HistoryAndWorkflowId[] = files.map((file) => ({ workflowId: file, history: history(file) }));
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath }, replayName: 'recorded histories' }, histories)) {
      results.set(result.workflowId, result);
    }
  });

  test.each(files)('%s replays deterministically', (file) => {
    const result = results.get(file);
    expect(result).toBeDefined();
    expect(result?.error).toBeUndefined();
  });
});

test('negative control: a changed renderVideo fails replay of a recorded history with a determinism error', async () => {
  const codePath = await workflowBundlePath('changed-render-video');
  const err = await Worker.runReplayHistory(
    { workflowBundle: { codePath }, replayName: 'changed renderVideo' },
    history('render-video-stored.json'),
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DeterminismViolationError);
});
