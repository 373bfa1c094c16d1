/**
 * The stageStoryboardSource activity on the filesystem backend: a storyboard file in storage
 * with images relative to it is staged exactly as the CLI stages the same file from disk;
 * paths that leave the file's folder or the storage, other buckets and hidden names are
 * refused; an invalid file gets every problem with its path and nothing is staged; a store
 * that cannot answer is a retryable StorageError.
 */
import { ApplicationFailure } from '@temporalio/common';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createStoryboardActivities } from '../../activities/storyboard/activities';
import { imageKey, sourceKey, stageOrStorageError, stageStoryboardSourceWith } from '../../activities/storyboard/source';
import { checkStoryboardFile, stageStoryboard } from '../../client/storyboard-file';
import { FailureType } from '../../common/errors';
import { MAX_STORYBOARD_BYTES } from '../../common/storyboard-text';
import type { StorageBackend } from '../../storage/backend';
import { FileStorage } from '../../storage/fs';
import { createS3Client, S3Storage } from '../../storage/s3';
import { readStagedBudget, readStagedRecord } from '../../storage/staged-storyboard';
import { writeTree } from '../helpers/file-tree';
import { bmp, gif, jpeg, png, tiff, webpExtended } from './craft-images';

const OK_PNG = path.resolve(__dirname, '../../examples/images/dawn-start.png');

const root = mkdtempSync(path.join(os.tmpdir(), 'sf-source-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** A fresh storage root holding `files` (key → contents, or a path to copy when it starts with '@'). */
function store(files: Record<string, string | Buffer> = {}): FileStorage {
  return new FileStorage(writeTree(path.join(root, `s${n++}`), files));
}

const BOARD = `id: harbour
defaults: { duration: 5 }
shots:
  - id: s01
    prompt: The harbour at night
  - id: s02
    prompt: Dawn over the water
    images:
      - { path: images/first.png, role: first_frame }
      - { url: HTTPS://img.example/last.png, role: last_frame }
  - id: s03
    prompt: The same first frame again
    images: [{ path: ./images/../images/first.png }]
`;

describe('a file in storage', () => {
  test('is staged exactly as the CLI stages the same file from disk: same pages, record and image key', async () => {
    const storage = store({ 'boards/harbour.yaml': BOARD, 'boards/images/first.png': `@${OK_PNG}` });
    const fromStorage = await stageStoryboardSourceWith(storage, { storyboardId: 'harbour', source: 'boards/harbour.yaml' });
    expect(fromStorage).toMatchObject({ ok: true, storyboardId: 'harbour', totalShots: 3 });
    if (!fromStorage.ok) return;
    const page = JSON.parse(readFileSync(storage.pathOf(`${fromStorage.stagedPrefix}/page-00000.json`), 'utf8'));
    const sha = (await import('node:crypto')).createHash('sha256').update(readFileSync(OK_PNG)).digest('hex');
    const staged = storage.urlOf(`inputs/${sha}.png`);
    expect(page).toEqual([
      { id: 's01', shot: { prompt: 'The harbour at night', duration: 5, images: [] } },
      {
        id: 's02',
        shot: {
          prompt: 'Dawn over the water',
          duration: 5,
          images: [
            { url: staged, role: 'first_frame' },
            { url: 'https://img.example/last.png', role: 'last_frame' },
          ],
        },
      },
      { id: 's03', shot: { prompt: 'The same first frame again', duration: 5, images: [{ url: staged, role: 'first_frame' }] } },
    ]);
    expect(readFileSync(storage.pathOf(`inputs/${sha}.png`))).toEqual(readFileSync(OK_PNG));
    expect(await readStagedRecord(storage, 'harbour')).toMatchObject({ stagedPrefix: fromStorage.stagedPrefix, totalShots: 3 });

    // The CLI, staging the very same file from disk into the same storage, names the same pages.
    const checked = await checkStoryboardFile(storage.pathOf('boards/harbour.yaml'));
    expect(checked.problems).toEqual([]);
    expect(await stageStoryboard(storage, checked)).toEqual({
      storyboardId: 'harbour',
      stagedPrefix: fromStorage.stagedPrefix,
      totalShots: 3,
    });
  });

  test('may be named by a file:// URL of the storage, and JSON works as YAML does', async () => {
    const storage = store({ 'b.json': JSON.stringify({ id: 'j', shots: [{ id: 'a', prompt: 'p' }] }) });
    const result = await stageStoryboardSourceWith(storage, { storyboardId: 'j', source: storage.urlOf('b.json') });
    expect(result).toMatchObject({ ok: true, totalShots: 1 });
  });

  test('an invalid file gets every problem with its path, and nothing is staged', async () => {
    const storage = store({
      'boards/bad.yaml': `id: bad
shots:
  - id: s01
  - id: s02
    prompt: ok
    ratio: "5:4"
  - id: s02
    prompt: again
  - id: s04
    prompt: images
    images: [{ path: missing.png }]
`,
    });
    const result = await stageStoryboardSourceWith(storage, { storyboardId: 'bad', source: 'boards/bad.yaml' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.path)).toEqual(['shots[0].prompt', 'shots[1].ratio', 'shots[2].id']);
    expect(existsSync(storage.pathOf('bad/.state/staged.json'))).toBe(false);
    // The same file on disk, through the CLI: the same problems.
    expect((await checkStoryboardFile(storage.pathOf('boards/bad.yaml'))).problems).toEqual(result.problems);
  });

  test('image problems are listed for every shot, each with its path, from the same checks as the CLI', async () => {
    const storage = store({
      'b.yaml': `id: imgs
shots:
  - { id: a, prompt: p, images: [{ path: missing.png }] }
  - { id: b, prompt: p, images: [{ path: text.png }] }
  - { id: c, prompt: p, images: [{ path: tiny.png }] }
  - { id: d, prompt: p, images: [{ path: ../outside.png }] }
  - { id: e, prompt: p, images: [{ path: .meta/x.png }] }
`,
      'text.png': 'not an image at all',
      'tiny.png': png(10, 10),
    });
    const result = await stageStoryboardSourceWith(storage, { storyboardId: 'imgs', source: 'b.yaml' });
    expect(result).toEqual({
      ok: false,
      problems: [
        { path: 'shots[0].images[0].path', message: 'missing.png: no such object in storage' },
        { path: 'shots[1].images[0].path', message: 'text.png: not a jpeg, png, webp, bmp, tiff or gif image' },
        { path: 'shots[2].images[0].path', message: 'tiny.png: 10×10 px: each side must be 300-6000 px' },
        { path: 'shots[3].images[0].path', message: expect.stringMatching(/^\.\.\/outside\.png: leaves the storyboard's folder/) },
        { path: 'shots[4].images[0].path', message: expect.stringMatching(/^\.meta\/x\.png: hidden names/) },
      ],
    });
    expect(existsSync(storage.pathOf('inputs'))).toBe(false);
  });

  test('every image format is judged by its real header, as the CLI judges it (including headers past the first 64 KiB)', async () => {
    const images: Record<string, Buffer> = {
      'a.png': png(640, 360),
      'b.jpg': jpeg(800, 600, { app1Bytes: [60000, 60000, 60000] }),
      'c.webp': webpExtended(500, 500),
      'd.gif': gif(400, 300),
      'e.bmp': bmp(400, 400),
      'f.tif': tiff(640, 480, { bigEndian: true, dataBytes: 200_000 }),
      'g.png': png(6001, 3000),
      'h.jpg': jpeg(900, 300),
    };
    const shots = Object.keys(images).map((name, i) => ({ id: `s${i}`, prompt: 'p', images: [{ path: `img/${name}` }] }));
    const files: Record<string, string | Buffer> = { 'b.json': JSON.stringify({ id: 'formats', shots }) };
    for (const [name, bytes] of Object.entries(images)) files[`img/${name}`] = bytes;
    const storage = store(files);
    const result = await stageStoryboardSourceWith(storage, { storyboardId: 'formats', source: 'b.json' });
    const cli = await checkStoryboardFile(storage.pathOf('b.json'));
    expect(result).toEqual({ ok: false, problems: cli.problems });
    expect(cli.problems.map((p) => p.path)).toEqual(['shots[6].images[0].path', 'shots[7].images[0].path']);
  });

  test("a file whose id is not the workflow's is refused, naming both", async () => {
    const storage = store({ 'b.yaml': 'id: theirs\nshots: [{ id: a, prompt: p }]\n' });
    expect(await stageStoryboardSourceWith(storage, { storyboardId: 'mine', source: 'b.yaml' })).toEqual({
      ok: false,
      problems: [{ path: 'id', message: expect.stringMatching(/id is theirs, but it was handed over as mine/) }],
    });
  });

  test('a missing file, or one over the size limit, is a problem of the whole file', async () => {
    const storage = store({ 'big.yaml': Buffer.alloc(MAX_STORYBOARD_BYTES + 1, 0x20) });
    expect(await stageStoryboardSourceWith(storage, { storyboardId: 'x', source: 'nope/x.yaml' })).toEqual({
      ok: false,
      problems: [{ path: '', message: `${storage.urlOf('nope/x.yaml')}: no such object in storage` }],
    });
    expect(await stageStoryboardSourceWith(storage, { storyboardId: 'x', source: 'big.yaml' })).toEqual({
      ok: false,
      problems: [{ path: '', message: expect.stringMatching(/over the storyboard's 10485760-byte limit \(10 MiB\)/) }],
    });
  });
});

describe('where a source may be', () => {
  const client = createS3Client();
  afterAll(() => client.destroy());
  const storages: Record<string, StorageBackend> = {
    fs: new FileStorage('/srv/renders'),
    s3: new S3Storage(client, 'my-bucket', 'renders'),
  };
  const [fs, s3] = ['fs', 's3'];

  test.each<[string, string, string]>([
    [fs, 'boards/x.yaml', 'boards/x.yaml'],
    [fs, 'file:///srv/renders/boards/x.yml', 'boards/x.yml'],
    [fs, pathToFileURL('/srv/renders/a b/x.json').href, 'a b/x.json'],
    [s3, 's3://my-bucket/renders/boards/x.yaml', 'boards/x.yaml'],
    [s3, 'boards/x.yaml', 'boards/x.yaml'],
  ])('%s: %s → key %s', (storage, source, key) => {
    expect(sourceKey(storages[storage] as StorageBackend, source)).toEqual({ key });
  });

  test.each([
    [
      s3,
      's3://other-bucket/renders/x.yaml',
      /another bucket or outside its prefix; this worker reads storyboards from its own storage, s3:\/\/my-bucket\/renders\//,
    ],
    [s3, 's3://my-bucket/elsewhere/x.yaml', /another bucket or outside its prefix/],
    [fs, 'file:///etc/x.yaml', /outside it/],
    [fs, '../x.yaml', /no \. or \.\. segments/],
    [fs, 'a/../../x.yaml', /no \. or \.\. segments/],
    [fs, '/etc/x.yaml', /no leading slash/],
    [fs, 'a//x.yaml', /no empty segments/],
    [fs, 'sb/.state/staged.json', /hidden names/],
    [fs, 'videos/x.mp4', /ends in \.yaml, \.yml or \.json/],
    [fs, 'a\\..\\x.yaml', /backslash/],
    [fs, 'https://example.com/x.yaml', /outside it/],
    [fs, '', /1-1024 characters/],
  ])('%s: %s is refused', (storage, source, message) => {
    const located = sourceKey(storages[storage] as StorageBackend, source);
    expect(located).toEqual({ problem: expect.stringMatching(message) });
  });

  test("image paths follow . and .., never above the file's folder", () => {
    expect(imageKey('boards/a', 'img/x.png')).toEqual({ id: 'boards/a/img/x.png' });
    expect(imageKey('boards/a', '../a/./x.png')).toEqual({ id: 'boards/a/x.png' });
    expect(imageKey('boards/a', 'img/../../a/y.png')).toEqual({ id: 'boards/a/y.png' });
    expect(imageKey('boards/a', '../../../boards/a/x.png')).toEqual({ problem: expect.stringMatching(/leaves/) });
    expect(imageKey('boards/a', '../b/x.png')).toEqual({ problem: expect.stringMatching(/leaves the storyboard's folder boards\/a\//) });
    expect(imageKey('', '../x.png')).toEqual({ problem: expect.stringMatching(/\(the storage root\)/) });
    expect(imageKey('boards', '/etc/x.png')).toEqual({ problem: expect.stringMatching(/absolute path/) });
    expect(imageKey('boards', 'img/..')).toEqual({ problem: expect.stringMatching(/names the folder itself/) });
  });
});

describe('an inline storyboard', () => {
  test('is checked by the same rules; its image paths are keys from the storage root', async () => {
    const storage = store({ 'shared/first.png': `@${OK_PNG}` });
    const storyboard = { id: 'inline', shots: [{ id: 'a', prompt: 'p', images: [{ path: 'shared/first.png' }] }] };
    expect(await stageStoryboardSourceWith(storage, { storyboardId: 'inline', storyboard })).toMatchObject({ ok: true, totalShots: 1 });
  });

  test('values JSON can carry but a storyboard cannot are problems, not crashes', async () => {
    const storyboard = JSON.parse('{"id":"odd","shots":[{"id":"a","prompt":"p","model":{"toString":null}}, 7]}') as unknown;
    const result = await stageStoryboardSourceWith(store(), { storyboardId: 'odd', storyboard });
    expect(result).toEqual({
      ok: false,
      problems: [
        { path: 'shots[0].model', message: expect.any(String) },
        { path: 'shots[1]', message: 'a shot is a mapping with id and prompt, got a number' },
      ],
    });
  });
});

test('a store that cannot answer is a retryable StorageError, not a problem of the file', async () => {
  const down = new FileStorage(path.join(root, 'down'));
  down.openRead = async () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED' });
  };
  const { stageStoryboardSource } = createStoryboardActivities({ storage: down });
  const err = await stageStoryboardSource({ storyboardId: 'x', source: 'x.yaml' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  expect(err).toMatchObject({ type: FailureType.StorageError, nonRetryable: false, message: expect.stringMatching(/ECONNREFUSED/) });
});

test('a cancelled staging stops reading and says so: neither a problem of the file nor a StorageError', async () => {
  const storage = store({ 'b.yaml': 'id: c\nshots: [{ id: a, prompt: p }]\n' });
  const cancelled = new AbortController();
  cancelled.abort();
  const staging = stageOrStorageError(
    () => stageStoryboardSourceWith(storage, { storyboardId: 'c', source: 'b.yaml' }, cancelled.signal),
    cancelled.signal,
  );
  await expect(staging).rejects.toMatchObject({ name: 'AbortError' });
  expect(existsSync(storage.pathOf('c/.state/staged.json'))).toBe(false);
});

describe("a storyboard's budget, handed over", () => {
  const shots = [{ id: 's01', prompt: 'x' }];
  test('in tokens: returned with the staged shots for the workflow to hold', async () => {
    const result = await stageStoryboardSourceWith(store(), {
      storyboardId: 'b',
      storyboard: { id: 'b', budget: { tokens: 5000 }, shots },
    });
    expect(result).toMatchObject({ ok: true, budget: { tokens: 5000 } });
  });
  test('kept with the staged record for retry, which reads the same staging fields as before', async () => {
    const storage = store();
    const staged = await stageStoryboardSourceWith(storage, { storyboardId: 'b', storyboard: { id: 'b', budget: { tokens: 7 }, shots } });
    expect(await readStagedBudget(storage, 'b')).toEqual({ tokens: 7 });
    expect(await readStagedRecord(storage, 'b')).toEqual({
      storyboardId: 'b',
      stagedPrefix: (staged as { stagedPrefix: string }).stagedPrefix,
      totalShots: 1,
    });
    await stageStoryboardSourceWith(storage, { storyboardId: 'b', storyboard: { id: 'b', shots } });
    expect(await readStagedBudget(storage, 'b')).toBeUndefined();
  });
  test('in a currency: a problem at budget (the worker has no prices to count it by); nothing is staged', async () => {
    const storage = store();
    const result = await stageStoryboardSourceWith(storage, {
      storyboardId: 'b',
      storyboard: { id: 'b', budget: { amount: 5, currency: 'USD' }, shots },
    });
    expect(result).toEqual({ ok: false, problems: [{ path: 'budget', message: expect.stringMatching(/USD needs prices/) }] });
    expect(existsSync(storage.pathOf('b'))).toBe(false);
  });
});
