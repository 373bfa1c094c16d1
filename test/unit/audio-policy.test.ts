/**
 * `on_audio_policy`: the storyboard file key and the renderStoryboard input option, checked
 * with their paths; the manifest line's `failureStage` and `silentRetry` survive
 * continue-as-new; and which failed shots get their one silent retry.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkStoryboardFile } from '../../client/storyboard-file';
import { RenderStoryboardInputSchema, StoryboardCarrySchema, validateStoryboard, type ManifestEntry } from '../../common/storyboard';
import { formatIssues } from '../../common/shot';
import { retriesSilent } from '../../workflows/storyboard-shot';
import { parseManifest, shotView } from '../../activities/report/activities';
import { renderReportHtml } from '../../activities/report/html';

const board = (extra: object = {}) => ({ id: 'board-1', shots: [{ id: 's1', prompt: 'a crowd chanting' }], ...extra });
const problemsOf = (doc: unknown) => validateStoryboard(doc).problems.map((p) => `${p.path}: ${p.message}`);

describe('on_audio_policy in a storyboard file', () => {
  test.each(['retry_silent', 'fail'] as const)('%s is accepted and kept', (policy) => {
    const { storyboard, problems } = validateStoryboard(board({ on_audio_policy: policy }));
    expect(problems).toEqual([]);
    expect(storyboard?.onAudioPolicy).toBe(policy);
  });

  test('absent (or null): no policy, so no retry', () => {
    expect(validateStoryboard(board()).storyboard).not.toHaveProperty('onAudioPolicy');
    expect(validateStoryboard(board({ on_audio_policy: null })).storyboard).not.toHaveProperty('onAudioPolicy');
  });

  test.each<[unknown, RegExp]>([
    ['retry', /got "retry"$/],
    ['RETRY_SILENT', /got "RETRY_SILENT"$/],
    [true, /got a boolean$/],
    [['retry_silent'], /got a list$/],
    [{ audio: 'retry_silent' }, /got a mapping$/],
  ])('%j is refused at on_audio_policy', (value, got) => {
    const problems = problemsOf(board({ on_audio_policy: value }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^on_audio_policy: on_audio_policy must be retry_silent .* or fail \(the default\), /);
    expect(problems[0]).toMatch(got);
  });

  test('a misspelt key is an unknown key at its own path', () => {
    expect(problemsOf(board({ on_audio_polcy: 'retry_silent' }))).toEqual([expect.stringMatching(/^on_audio_polcy: unknown key/)]);
  });

  test('read from a YAML file through the CLI pipeline, with the problem at its path', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-audio-policy-'));
    const good = path.join(dir, 'good.yaml');
    writeFileSync(good, 'id: board-1\non_audio_policy: retry_silent\nshots:\n  - id: s1\n    prompt: a crowd chanting\n');
    expect((await checkStoryboardFile(good)).storyboard?.onAudioPolicy).toBe('retry_silent');
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, 'id: board-1\non_audio_policy: always\nshots:\n  - id: s1\n    prompt: a crowd chanting\n');
    expect((await checkStoryboardFile(bad)).problems).toEqual([
      { path: 'on_audio_policy', message: expect.stringMatching(/got "always"$/) },
    ]);
  });
});

describe('onAudioPolicy in the renderStoryboard input', () => {
  const staged = { storyboardId: 'board-1', stagedPrefix: 'board-1/.state/input-0123456789abcdef', totalShots: 1 };

  test('retry_silent and fail are accepted; absent stays absent', () => {
    expect(RenderStoryboardInputSchema.parse({ ...staged, onAudioPolicy: 'retry_silent' }).onAudioPolicy).toBe('retry_silent');
    expect(RenderStoryboardInputSchema.parse({ ...staged, onAudioPolicy: 'fail' }).onAudioPolicy).toBe('fail');
    expect(RenderStoryboardInputSchema.parse(staged)).not.toHaveProperty('onAudioPolicy');
  });

  test('anything else is refused at onAudioPolicy', () => {
    const parsed = RenderStoryboardInputSchema.safeParse({ ...staged, onAudioPolicy: 'retry' });
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(formatIssues(parsed.error).join('\n')).toMatch(/onAudioPolicy/);
  });
});

test('a manifest line keeps failureStage and silentRetry through continue-as-new (the carry)', () => {
  const entry: ManifestEntry = {
    shotId: 's1',
    status: 'failed',
    taskId: 'cgt-2',
    failureType: 'ContentPolicyViolation',
    failureStage: 'output_audio',
    failureMessage: 'blocked again',
    silentRetry: { firstTaskId: 'cgt-1', firstFailureMessage: 'OutputAudioSensitiveContentDetected' },
  };
  const carry = StoryboardCarrySchema.parse({
    cursor: 0,
    stored: 0,
    failed: 1,
    tokensUsed: 0,
    window: 1,
    paused: false,
    runs: 1,
    startedAt: 0,
    partial: { page: 0, entries: [entry, null] },
  });
  expect(carry.partial?.entries[0]).toEqual(entry);
});

describe('which failed shot gets its one silent retry', () => {
  const policy = (stage: ManifestEntry['failureStage'], type = 'ContentPolicyViolation'): ManifestEntry => ({
    shotId: 's1',
    status: 'failed',
    failureType: type,
    ...(stage ? { failureStage: stage } : {}),
  });
  const withSound = { prompt: 'p' };
  const on = { onAudioPolicy: 'retry_silent' as const };

  test('blocked for its audio only, rendered with sound, the option on: yes', () => {
    expect(retriesSilent(on, withSound, policy('output_audio'))).toBe(true);
    expect(retriesSilent(on, { prompt: 'p', generate_audio: true }, policy('output_audio'))).toBe(true);
  });

  test('never without the option, for another stage, another failure, or a render that had no sound', () => {
    expect(retriesSilent({}, withSound, policy('output_audio'))).toBe(false);
    expect(retriesSilent({ onAudioPolicy: 'fail' }, withSound, policy('output_audio'))).toBe(false);
    for (const stage of ['input_text', 'input_image', 'input_video', 'input_audio', 'output_video', 'unknown'] as const)
      expect(retriesSilent(on, withSound, policy(stage))).toBe(false);
    expect(retriesSilent(on, withSound, policy(undefined))).toBe(false);
    expect(retriesSilent(on, withSound, policy('output_audio', 'TaskFailed'))).toBe(false);
    expect(retriesSilent(on, { prompt: 'p', generate_audio: false }, policy('output_audio'))).toBe(false);
  });
});

describe('the report shows the stage and the silent retry (from a manifest others may write)', () => {
  const manifestOf = (shots: unknown[]) => parseManifest(JSON.stringify({ storyboardId: 'board-1', shots }), 'board-1', 'manifest.json');
  const page = (shots: unknown[]) =>
    renderReportHtml({
      storyboardId: 'board-1',
      totalShots: shots.length,
      generatedAt: '2026-02-01T10:01:00.000Z',
      manifestHref: 'manifest.json',
      shots: manifestOf(shots).shots.map((e) => shotView('board-1', e as ManifestEntry, undefined, undefined)),
    });

  test('a stage next to the type, with what it means; a silent retry as a badge and a row, escaped', () => {
    const html = page([
      { shotId: 's1', status: 'failed', failureType: 'ContentPolicyViolation', failureStage: 'output_video', failureMessage: 'blocked' },
      {
        shotId: 's2',
        status: 'stored',
        key: 'board-1/s2.mp4',
        taskId: 'cgt-2',
        silentRetry: { firstTaskId: 'cgt-<1>', firstFailureMessage: 'OutputAudioSensitiveContentDetected & <b>' },
      },
    ]);
    expect(html).toContain('<strong title="the rendered video was blocked">ContentPolicyViolation (output_video)</strong>');
    expect(html).toContain('silent retry</span>');
    expect(html).toContain('rendered again without sound after task <code>cgt-&lt;1&gt;</code> was blocked for its generated audio');
    expect(html).toContain('OutputAudioSensitiveContentDetected &amp; &lt;b&gt;');
    expect(html).not.toContain('<b>');
  });

  test('a stage this version does not know is left out, not a broken report', () => {
    const [entry] = manifestOf([
      { shotId: 's1', status: 'failed', failureType: 'ContentPolicyViolation', failureStage: 'output_smell' },
    ]).shots;
    expect(entry).not.toHaveProperty('failureStage', 'output_smell');
    expect(page([{ shotId: 's1', status: 'failed', failureType: 'ContentPolicyViolation', failureStage: 'output_smell' }])).toContain(
      '<strong>ContentPolicyViolation</strong>',
    );
  });
});
