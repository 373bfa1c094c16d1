/**
 * Workflow inputs cannot point storage anywhere the code itself would not: a renderVideo
 * storage key names a video and cannot reach a storyboard's manifest, records or state; a
 * storyboard's staged prefix is its own staging area.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { RenderVideoInputSchema, STORAGE_KEY_MAX, storageKeyProblem } from '../../common/render';
import { RenderStoryboardInputSchema, storyboardKeys } from '../../common/storyboard';
import { defaultStorageKey } from '../../workflows/render-video';

const run = promisify(execFile);
const BIN = path.resolve(__dirname, '../../bin/seedance-flow.js');

const keyOk = (storageKey: string) => RenderVideoInputSchema.safeParse({ shot: { prompt: 'p' }, storageKey }).success;

describe('renderVideo storage keys', () => {
  test('the keys the code itself uses are valid', () => {
    expect(keyOk(storyboardKeys.video('lighthouse-keeper', 's01-establishing'))).toBe(true);
    expect(keyOk(defaultStorageKey('video-0123456789abcdef0123'))).toBe(true);
    expect(keyOk(defaultStorageKey('team.render_v2-1'))).toBe(true);
    expect(keyOk('videos/same-key-4b8e1c3a-1f2d-4c5e-9a7b-0c1d2e3f4a5b.mp4')).toBe(true);
    expect(keyOk('flow/a.b-c_d/e.mp4')).toBe(true);
  });

  test.each([
    ['a/../../etc/passwd.mp4', 'a .. segment'],
    ['../other-board/s1.mp4', 'a leading .. segment'],
    ['/abs/path.mp4', 'a leading /'],
    ['a//b.mp4', 'an empty segment'],
    ['a/b.mp4/', 'a trailing /'],
    ['./a.mp4', 'a . segment'],
    ['other-board/manifest.json', "another storyboard's manifest"],
    ['other-board/.state/outcomes-00000.json', 'completion records'],
    ['other-board/.state/staged.json', 'the staging record'],
    ['other-board/.state/evil.mp4', 'anything in .state/'],
    ['other-board/.hidden.mp4', 'a hidden name'],
    ['other-board/s1.mp4.json', "a video's completion record (as earlier runs wrote it)"],
    ['other-board/.state/s1.mp4.json', "a video's completion record"],
    ['other-board/.state/s1.mp4', 'a name beside the completion records'],
    ['other-board/s1.mp4.metadata.json', "a video's metadata record (as earlier runs wrote it)"],
    ['other-board/.meta/s1.mp4.json', "a video's metadata record (file backend)"],
    ['other-board/.meta/s1.mp4', 'a name beside the metadata records'],
    ['other-board/s1.mp4.partial-0d6e9a52-3f0c-4a8e-9c1b-2b7f5e4d3c21', 'a temporary file'],
    ['other-board/x.partial-1.mp4', 'a name the sweep would take for a temporary file'],
    ['other-board/report.html', 'not a video'],
    ['videos/no-extension', 'not a video'],
    ['a/b c.mp4', 'a space'],
    ['a/b\\c.mp4', 'a backslash'],
    ['', 'empty'],
  ])('%s is refused (%s)', (key) => {
    expect(keyOk(key)).toBe(false);
    expect(storageKeyProblem(key)).toEqual(expect.any(String));
  });

  test('a key over STORAGE_KEY_MAX characters is refused', () => {
    expect(keyOk(`${'a'.repeat(STORAGE_KEY_MAX - 4)}.mp4`)).toBe(true);
    expect(keyOk(`${'a'.repeat(STORAGE_KEY_MAX)}.mp4`)).toBe(false);
  });

  test('the CLI refuses a bad --key before it connects or stages anything', async () => {
    const result = await run(process.execPath, [BIN, 'video', '--prompt', 'x', '--key', 'other-board/manifest.json'], {
      // A closed port: if the CLI went on, it would fail differently (connection refused, exit 1).
      env: { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', STORAGE_URL: 'file:///nonexistent-sf-test' },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--key .*must name a video/);
  }, 30_000);
});

describe('renderStoryboard stagedPrefix', () => {
  const input = (storyboardId: string, stagedPrefix: string) => ({ storyboardId, stagedPrefix, totalShots: 3 });
  const ok = (storyboardId: string, stagedPrefix: string) =>
    RenderStoryboardInputSchema.safeParse(input(storyboardId, stagedPrefix)).success;

  test('the prefix staging writes is valid', () => {
    expect(ok('lighthouse-keeper', 'lighthouse-keeper/.state/input-171f267bf8b510a2')).toBe(true);
  });

  test.each([
    ['another storyboard', 'other-board/.state/input-171f267bf8b510a2'],
    ['a .. escape', 'sb/.state/input-171f267bf8b510a2/../../../other-board/.state'],
    ['a leading /', '/sb/.state/input-171f267bf8b510a2'],
    ['not under .state/input-', 'sb/inputs'],
    ['not hex', 'sb/.state/input-XYZ'],
    ['empty digest', 'sb/.state/input-'],
    ['the storyboard root', 'sb'],
    ['a trailing /', 'sb/.state/input-171f267bf8b510a2/'],
  ])('%s is refused', (_what, prefix) => {
    const parsed = RenderStoryboardInputSchema.safeParse(input('sb', prefix));
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.some((i) => i.path.join('.') === 'stagedPrefix')).toBe(true);
  });
});
