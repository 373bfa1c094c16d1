/**
 * Storyboard input as people write it, mistakes and all (issue 10): duration/frames over
 * defaults, top-level paths, duplicate keys, URL schemes in any case, image paths kept
 * inside the storyboard's folder, real image headers, bounded reads of many and large images,
 * and staging that streams.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  copyFileSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { StorageBackend } from '../../storage/backend';
import { FileStorage } from '../../storage/fs';
import { storyboardCommand } from '../../client/commands/storyboard';
import { stageImage, toImageReference } from '../../client/stage';
import { checkStoryboardFile, parseStoryboardText, stageStoryboard } from '../../client/storyboard-file';
import { validateStoryboard } from '../../common/storyboard';
import { writeTree } from '../helpers/file-tree';
import { png } from './craft-images';

const EXAMPLE = path.resolve(__dirname, '../../examples/lighthouse-keeper.yaml');
const OK_PNG = path.resolve(__dirname, '../../examples/images/dawn-start.png');

const root = mkdtempSync(path.join(os.tmpdir(), 'sf-input-'));
const fifos: string[] = [];
afterAll(() => {
  // A reader still waiting on a FIFO (the old code did, forever) is released by a writer that comes and goes.
  for (const f of fifos) {
    try {
      closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // nobody waits
    }
  }
  rmSync(root, { recursive: true, force: true });
});
let n = 0;
/** A fresh storyboard folder with `files` (name → contents, or a path to copy when it starts with '@'). */
function folder(files: Record<string, string | Buffer> = {}): string {
  return writeTree(path.join(root, `b${n++}`), files);
}
const board = (images: object[], extra: object = {}) =>
  JSON.stringify({ id: 'b', shots: images.map((img, i) => ({ id: `s${i}`, prompt: 'p', images: [img] })), ...extra });
/** Fails instead of hanging. */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}
const problemsOf = (doc: unknown) => validateStoryboard(doc).problems.map((p) => `${p.path}: ${p.message}`);

describe('duration and frames: a shot’s own choice replaces the one it inherits', () => {
  test('default duration + shot frames is a frames shot; default frames + shot duration is a duration shot', () => {
    const { storyboard, problems } = validateStoryboard({
      id: 'b',
      defaults: { duration: 5 },
      shots: [
        { id: 'a', prompt: 'p', frames: 121 },
        { id: 'b', prompt: 'p' },
      ],
    });
    expect(problems).toEqual([]);
    expect(storyboard?.shots[0]).toMatchObject({ frames: 121 });
    expect(storyboard?.shots[0]?.duration).toBeUndefined();
    expect(storyboard?.shots[1]).toMatchObject({ duration: 5 });

    const other = validateStoryboard({
      id: 'b',
      defaults: { frames: 121 },
      shots: [
        { id: 'a', prompt: 'p', duration: 8 },
        { id: 'c', prompt: 'p' },
      ],
    });
    expect(other.problems).toEqual([]);
    expect(other.storyboard?.shots[0]).toMatchObject({ duration: 8 });
    expect(other.storyboard?.shots[0]?.frames).toBeUndefined();
    expect(other.storyboard?.shots[1]).toMatchObject({ frames: 121 });
  });

  test('only a shot (or defaults) giving both is told to pick one', () => {
    expect(problemsOf({ id: 'b', defaults: { duration: 5 }, shots: [{ id: 'a', prompt: 'p', duration: 5, frames: 121 }] })).toEqual([
      'shots[0].frames: give duration or frames, not both',
    ]);
    expect(problemsOf({ id: 'b', defaults: { duration: 5, frames: 121 }, shots: [{ id: 'a', prompt: 'p' }] })).toEqual([
      expect.stringMatching(/^defaults\.frames: give duration or frames in defaults, not both/),
    ]);
  });
});

test('a storyboard may give its admission priority (1-5)', () => {
  expect(validateStoryboard({ id: 'b', priority: 5, shots: [{ id: 'a', prompt: 'p' }] }).storyboard?.priority).toBe(5);
  expect(validateStoryboard({ id: 'b', shots: [{ id: 'a', prompt: 'p' }] }).storyboard?.priority).toBeUndefined();
});

describe('top-level problems name their real path', () => {
  test.each<[string, unknown, string[]]>([
    [
      'a list instead of a mapping',
      ['a', 'b'],
      [': a storyboard is a mapping with id, shots and optionally defaults; this file holds a list'],
    ],
    ['an empty file', null, [': a storyboard is a mapping with id, shots and optionally defaults; this file holds null']],
    [
      'missing id and shots',
      {},
      ['id: id is required: the storyboard id (1-64 letters, digits, _ or -)', 'shots: shots is required: a list of at least one shot'],
    ],
    [
      'unknown top-level keys',
      { id: 'b', shots: [{ id: 'a', prompt: 'p' }], shotz: 1, Defaults: {} },
      [
        'shotz: unknown key "shotz" (a storyboard has id, defaults, shots and budget)',
        'Defaults: unknown key "Defaults" (a storyboard has id, defaults, shots and budget)',
      ],
    ],
    ['shots not a list', { id: 'b', shots: 'a' }, ['shots: shots must be a list of shots, got a string']],
    [
      'a priority outside 1-5',
      { id: 'b', priority: 9, shots: [{ id: 'a', prompt: 'p' }] },
      ['priority: priority must be a whole number from 1 to 5 (5 is served first), got a number'],
    ],
    [
      'defaults not a mapping',
      { id: 'b', defaults: [1], shots: [{ id: 'a', prompt: 'p' }] },
      ['defaults: defaults must be a mapping of shot fields, got a list'],
    ],
  ])('%s', (_name, doc, expected) => {
    expect(problemsOf(doc)).toEqual(expected);
  });

  test('unknown keys in shots, defaults and images are problems at their own paths', () => {
    const problems = problemsOf({ id: 'b', defaults: { colour: 1 }, shots: [{ id: 'a', prompt: 'p' }] });
    expect(problems).toEqual([expect.stringMatching(/^defaults\.colour: unknown key "colour"/)]);
    expect(
      problemsOf({ id: 'b', shots: [{ id: 'a', prompt: 'p', camera: 1, images: [{ url: 'https://x.example/a.png', size: 3 }] }] }).sort(),
    ).toEqual([
      expect.stringMatching(/^shots\[0\]\.camera: unknown key "camera" \(a shot has/),
      expect.stringMatching(/^shots\[0\]\.images\[0\]\.size: unknown key "size" \(an image has path or url, and role\)/),
    ]);
  });

  test('a wrong id does not hide the problems of the shots', () => {
    expect(problemsOf({ id: 5, shots: [null, { id: 'a' }] })).toEqual([
      'id: Invalid input: expected string, received number',
      'shots[0]: a shot is a mapping with id and prompt, got null',
      'shots[1].prompt: prompt is required',
    ]);
  });
});

describe('duplicate keys are reported with their path', () => {
  test('JSON (JSON.parse would keep the last one silently)', () => {
    const { problems } = parseStoryboardText('{"id":"b","shots":[{"id":"a","prompt":"p","prompt":"q"}],"id":"c"}', 'x.json');
    expect(problems).toEqual([
      { path: 'shots[0].prompt', message: 'duplicate key "prompt": JSON would silently keep only the last one' },
      { path: 'id', message: 'duplicate key "id": JSON would silently keep only the last one' },
    ]);
    // the same key spelled with an escape is the same key
    expect(parseStoryboardText('{"id":"b","\\u0069d":"c"}', 'x.json').problems).toEqual([
      { path: 'id', message: expect.stringMatching(/^duplicate key "id"/) },
    ]);
  });

  test('YAML', () => {
    const { problems } = parseStoryboardText(
      'id: b\nshots:\n  - id: a\n    prompt: p\n    images:\n      - { path: a.png, path: b.png }\n',
      'x.yaml',
    );
    expect(problems).toEqual([
      { path: 'shots[0].images[0].path', message: 'duplicate key "path" (line 6, column 24): give each key once' },
    ]);
  });

  test('a file that fails for duplicate keys is rejected by checkStoryboardFile', async () => {
    const dir = folder({ 'b.json': '{"id":"b","shots":[{"id":"a","prompt":"p"}],"shots":[{"id":"c","prompt":"q"}]}' });
    const { problems, storyboard } = await checkStoryboardFile(path.join(dir, 'b.json'));
    expect(storyboard).toBeUndefined();
    expect(problems).toEqual([{ path: 'shots', message: expect.stringMatching(/^duplicate key "shots"/) }]);
  });
});

describe('URL schemes are judged case-insensitively, everywhere', () => {
  test('HTTPS:// and Http:// are accepted in a storyboard and staged in lower case', async () => {
    const dir = folder({ 'b.json': board([{ url: 'HTTPS://img.example/a.png' }, { url: 'Http://img.example/b.png' }]) });
    const checked = await checkStoryboardFile(path.join(dir, 'b.json'));
    expect(checked.problems).toEqual([]);
    const storage = new FileStorage(path.join(dir, 'store'));
    const staged = await stageStoryboard(storage, checked);
    const page = JSON.parse(readFileSync(storage.pathOf(`${staged.stagedPrefix}/page-00000.json`), 'utf8'));
    expect(page.map((s: { shot: { images: { url: string }[] } }) => s.shot.images[0]?.url)).toEqual([
      'https://img.example/a.png',
      'http://img.example/b.png',
    ]);
  });

  test.each<[string, RegExp]>([
    ['ftp://img.example/a.png', /url must be http\(s\)/],
    ['javascript:alert(1)', /url must be http\(s\)/],
    ['data:image/png;base64,AAAA', /url must be http\(s\)/],
    ['FILE:///etc/passwd', /url must be http\(s\)/],
    ['https://', /has no host/],
    ['https:///a.png', /has no host/],
    ['https://img.example/a b.png', /spaces or control characters/],
  ])('url %s is refused', (url, message) => {
    expect(problemsOf(JSON.parse(board([{ url }])))).toEqual([
      expect.stringMatching(new RegExp(`^shots\\[0\\]\\.images\\[0\\]\\.url: .*${message.source}`)),
    ]);
  });

  test('a URL written as a path is pointed to url', () => {
    expect(problemsOf(JSON.parse(board([{ path: 'HTTPS://img.example/a.png' }])))).toEqual([
      'shots[0].images[0].path: path is a local file relative to the storyboard; put URLs in url',
    ]);
  });

  test('video --image: HTTPS:// passes in lower case, FILE:// is a local file, other schemes are refused', async () => {
    const dir = folder({ 'a.png': `@${OK_PNG}` });
    const storage = new FileStorage(path.join(dir, 'store'));
    expect(await toImageReference(storage, 'HTTPS://img.example/a.png')).toBe('https://img.example/a.png');
    expect(await toImageReference(storage, `FILE://${path.join(dir, 'a.png')}`)).toMatch(/^file:\/\/.*\/inputs\/[0-9a-f]{64}\.png$/);
    await expect(toImageReference(storage, 's3://bucket/a.png')).rejects.toThrow(/a local path or an http\(s\) URL, not s3:/);
  });
});

describe('image paths stay inside the storyboard’s folder', () => {
  const outside = folder({ 'secret.png': `@${OK_PNG}` });

  test('../, an absolute path and a symbolic link out of the folder are refused, naming the path and the flag', async () => {
    const dir = folder({ 'in.png': `@${OK_PNG}`, 'sub/in2.png': `@${OK_PNG}` });
    symlinkSync(path.join(outside, 'secret.png'), path.join(dir, 'link.png'));
    symlinkSync(path.join(dir, 'in.png'), path.join(dir, 'sub', 'link-in.png'));
    const rel = path.relative(dir, path.join(outside, 'secret.png'));
    writeFileSync(
      path.join(dir, 'b.json'),
      board([
        { path: 'in.png' },
        { path: 'sub/in2.png' },
        { path: 'sub/link-in.png' },
        { path: path.join(dir, 'in.png') },
        { path: rel },
        { path: path.join(outside, 'secret.png') },
        { path: 'link.png' },
      ]),
    );
    const { problems } = await checkStoryboardFile(path.join(dir, 'b.json'));
    const real = path.join(outside, 'secret.png');
    expect(problems).toEqual(
      [4, 5, 6].map((i) => ({
        path: `shots[${i}].images[0].path`,
        message: expect.stringContaining(
          `resolves to ${real}, outside the storyboard's folder ${dir}; move it there, or pass --allow-images-outside to allow it`,
        ),
      })),
    );
    expect(problems[0]?.message.startsWith(`${rel}: `)).toBe(true);
    expect(problems[2]?.message.startsWith('link.png: ')).toBe(true);

    const allowed = await checkStoryboardFile(path.join(dir, 'b.json'), { allowImagesOutside: true });
    expect(allowed.problems).toEqual([]);
  });

  test('an image turned into a link out of the folder after validation is not staged', async () => {
    const dir = folder({ 'a.png': `@${OK_PNG}`, 'b.json': board([{ path: 'a.png' }]) });
    const checked = await checkStoryboardFile(path.join(dir, 'b.json'));
    expect(checked.problems).toEqual([]);
    rmSync(path.join(dir, 'a.png'));
    symlinkSync(path.join(outside, 'secret.png'), path.join(dir, 'a.png'));
    await expect(stageStoryboard(new FileStorage(path.join(dir, 'store')), checked)).rejects.toThrow(/changed since it was validated/);
  });

  test('validate --allow-images-outside: exit 2 without the flag, 0 with it', async () => {
    const dir = folder();
    writeFileSync(path.join(dir, 'b.json'), board([{ path: path.join(outside, 'secret.png') }]));
    const out: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
    const err = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(await storyboardCommand('validate', [path.join(dir, 'b.json'), '--json'])).toBe(2);
      expect(JSON.parse(out.pop() as string).problems[0].message).toMatch(/--allow-images-outside/);
      expect(await storyboardCommand('validate', [path.join(dir, 'b.json'), '--json', '--allow-images-outside'])).toBe(0);
      expect(JSON.parse(out.pop() as string)).toMatchObject({ valid: true });
    } finally {
      log.mockRestore();
      err.mockRestore();
    }
  });
});

describe('local images: real headers, the provider’s limits, bounded reads', () => {
  test('a text file starting with "BM", a 100×100 png and a 3:1 png are refused; the example storyboard passes', async () => {
    const dir = folder({
      'fake.bmp': 'BM this is a text file that only starts like a bitmap\n',
      'small.png': png(100, 100),
      'wide.png': png(3000, 1000),
      'ok.png': png(1280, 720),
    });
    writeFileSync(path.join(dir, 'b.json'), board([{ path: 'fake.bmp' }, { path: 'small.png' }, { path: 'wide.png' }, { path: 'ok.png' }]));
    const { problems } = await checkStoryboardFile(path.join(dir, 'b.json'));
    expect(problems).toEqual([
      { path: 'shots[0].images[0].path', message: expect.stringMatching(/^fake\.bmp: not a valid bmp image/) },
      { path: 'shots[1].images[0].path', message: 'small.png: 100×100 px: each side must be 300-6000 px' },
      { path: 'shots[2].images[0].path', message: 'wide.png: 3000×1000 px: aspect ratio (width/height) 3.00 is outside 0.4-2.5' },
    ]);
    expect((await checkStoryboardFile(EXAMPLE)).problems).toEqual([]);
  });

  test('40 distinct 29 MB images are checked by their headers: memory stays flat', async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 40; i++) files[`big${i}.png`] = png(1000 + i, 1000);
    const dir = folder(files);
    for (let i = 0; i < 40; i++) truncateSync(path.join(dir, `big${i}.png`), 29 * 1024 * 1024); // sparse: no disk used
    writeFileSync(path.join(dir, 'b.json'), board(Object.keys(files).map((p) => ({ path: p }))));
    global.gc?.();
    const before = process.memoryUsage();
    let peak = before.rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
    const { problems } = await checkStoryboardFile(path.join(dir, 'b.json'));
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    expect(problems).toEqual([]);
    expect((peak - before.rss) / 2 ** 20).toBeLessThan(150);
  });

  test('600 distinct images with 128 file handles: no image is reported for lack of handles', () => {
    const dir = folder();
    const shots = [];
    for (let i = 0; i < 600; i++) {
      copyFileSync(OK_PNG, path.join(dir, `i${i}.png`));
      shots.push({ id: `s${i}`, prompt: 'p', images: [{ path: `i${i}.png` }] });
    }
    writeFileSync(path.join(dir, 'b.json'), JSON.stringify({ id: 'b', shots }));
    const script = path.join(dir, 'check.ts');
    writeFileSync(
      script,
      `import { checkStoryboardFile } from ${JSON.stringify(path.resolve(__dirname, '../../client/storyboard-file'))};\n` +
        `checkStoryboardFile(process.argv[2] as string).then((r) => console.log(JSON.stringify(r.problems.slice(0, 3).concat([{ path: 'count', message: String(r.problems.length) }]))));\n`,
    );
    const tsx = require.resolve('tsx/cjs');
    const run = spawnSync(
      'bash',
      ['-c', `ulimit -n 128 && exec "${process.execPath}" -r "${tsx}" "${script}" "${path.join(dir, 'b.json')}"`],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual([{ path: 'count', message: '0' }]);
  });
});

describe('staging streams and refuses a file that changed under it', () => {
  test('the staged object is the file, keyed by its sha256', async () => {
    const dir = folder({ 'a.png': `@${OK_PNG}` });
    const storage = new FileStorage(path.join(dir, 'store'));
    const ref = await stageImage(storage, path.join(dir, 'a.png'));
    const digest = createHash('sha256').update(readFileSync(OK_PNG)).digest('hex');
    expect(ref).toBe(storage.urlOf(`inputs/${digest}.png`));
    expect(readFileSync(storage.pathOf(`inputs/${digest}.png`)).equals(readFileSync(OK_PNG))).toBe(true);
  });

  test('a file rewritten between hashing and upload fails the upload instead of storing other bytes under the hash', async () => {
    const dir = folder({ 'a.png': `@${OK_PNG}` });
    const file = path.join(dir, 'a.png');
    let uploaded = false;
    const storage: StorageBackend = {
      urlOf: (key) => `mem://${key}`,
      stat: async () => null,
      upload: async (_key, body: Readable) => {
        const bytes = readFileSync(file);
        bytes[bytes.length - 20] = (bytes[bytes.length - 20] as number) ^ 0xff;
        writeFileSync(file, bytes); // same size, other content
        for await (const chunk of body) void chunk;
        uploaded = true;
      },
      readText: async () => null,
      writeText: async () => undefined,
      readBytes: async () => Buffer.alloc(0),
      openRead: async () => Promise.reject(new Error('not read here')),
    };
    await expect(stageImage(storage, file)).rejects.toThrow(/changed while it was being staged/);
    expect(uploaded).toBe(false);
  });
});

// The FIFO and device cases of item 1 are in hostile-storyboards.test.ts; this checks the CLI reports them without hanging.
test('validate on a storyboard that names a FIFO answers at once', async () => {
  const dir = folder();
  execFileSync('mkfifo', [path.join(dir, 'pipe.png')]);
  fifos.push(path.join(dir, 'pipe.png'));
  writeFileSync(path.join(dir, 'b.json'), board([{ path: 'pipe.png' }]));
  const { problems } = await within(3000, checkStoryboardFile(path.join(dir, 'b.json')));
  expect(problems).toEqual([
    { path: 'shots[0].images[0].path', message: 'pipe.png: not a regular file but a FIFO (named pipe); only regular files are read' },
  ]);
});

test('a storyboard may give its admission team key; a malformed one is a problem at its path', () => {
  expect(validateStoryboard({ id: 'b', team: 'studio-a', shots: [{ id: 'a', prompt: 'p' }] }).storyboard?.team).toBe('studio-a');
  const bad = validateStoryboard({ id: 'b', team: 'no spaces', shots: [{ id: 'a', prompt: 'p' }] });
  expect(bad.storyboard).toBeUndefined();
  expect(bad.problems.map((p) => p.path)).toEqual(['team']);
});
