/**
 * Seedance 2.0 reference videos and audio in storyboards (issue 16, part 4): every rule with
 * its path (model, counts, audio alone, mixing with frames, the predictions family), the type
 * decided by content and the size limits on the CLI's disk and in the worker's storage, the
 * staged references (never bytes) on the pages, and the submit's `video_url` / `audio_url`
 * items, inlined from staging only.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { stageStoryboardSourceWith } from '../../activities/storyboard/source';
import { stagedImageMatcher } from '../../activities/seedance/images';
import { linkSecondsFor, resolveMediaUrl } from '../../activities/seedance/media';
import { buildTasksRequest } from '../../activities/seedance/tasks-client';
import { checkStoryboardFile, stageStoryboard } from '../../client/storyboard-file';
import { checkMediaHeader, MAX_MEDIA_BYTES, sniffMedia } from '../../common/media-header';
import { shotFromInput, ShotSchema } from '../../common/shot';
import { validateStoryboard } from '../../common/storyboard';
import { FileStorage } from '../../storage/fs';
import { writeTree } from '../helpers/file-tree';
import { MEDIA } from '../helpers/media-files';

const V2 = 'dreamina-seedance-2-0-260128';
const FAST = 'doubao-seedance-2-0-fast-260128';
const PRO15 = 'doubao-seedance-1-5-pro-251215';

const problemsOf = (doc: unknown) => validateStoryboard(doc).problems.map((p) => `${p.path}: ${p.message}`);
const board = (shot: object) => ({ id: 'refs', shots: [{ id: 's1', prompt: 'p', model: V2, ...shot }] });
const video = { url: 'https://cdn.example/motion.mp4' };
const audio = { url: 'https://cdn.example/music.mp3' };
const refImage = { url: 'https://cdn.example/hero.png', role: 'reference_image' };

describe('the rules, each with its path', () => {
  test.each<[string, object, RegExp]>([
    [
      'a model other than Seedance 2.0',
      { model: PRO15, videos: [video] },
      /^shots\[0\]\.videos: reference videos need a Seedance 2\.0 model/,
    ],
    [
      'audio on a model other than Seedance 2.0',
      { model: PRO15, audios: [audio], videos: [video] },
      /^shots\[0\]\.videos: reference videos need a Seedance 2\.0/,
    ],
    [
      'more than 3 videos',
      { videos: [video, video, video, video] },
      /^shots\[0\]\.videos: at most 3 reference videos \(Seedance 2\.0\), got 4$/,
    ],
    [
      'more than 3 audio clips',
      { videos: [video], audios: [audio, audio, audio, audio] },
      /^shots\[0\]\.audios: at most 3 reference audio clips \(Seedance 2\.0\), got 4$/,
    ],
    ['audio as the only reference', { audios: [audio] }, /^shots\[0\]\.audios: audio cannot be the only reference/],
    [
      'mixed with a first frame',
      { videos: [video], images: [{ url: 'https://x.example/a.png' }] },
      /^shots\[0\]\.images\[0\]\.role: a first_frame cannot be combined with reference videos or audio/,
    ],
    [
      'mixed with first and last frames',
      {
        audios: [audio],
        videos: [video],
        images: [
          { url: 'https://x.example/a.png', role: 'first_frame' },
          { url: 'https://x.example/b.png', role: 'last_frame' },
        ],
      },
      /^shots\[0\]\.images\[0\]\.role: a first_frame cannot be combined/,
    ],
    [
      'the predictions family (inferred from the gateway model)',
      { model: FAST, videos: [video] },
      /^shots\[0\]\.videos: the predictions family \(the gateway\) documents no reference videos/,
    ],
    [
      'the predictions family, audio',
      { model: V2, api: 'predictions', audios: [audio] },
      /^shots\[0\]\.audios: the predictions family \(the gateway\) documents no reference audio/,
    ],
    [
      'path and url both',
      { videos: [{ url: 'https://x.example/v.mp4', path: 'v.mp4' }] },
      /^shots\[0\]\.videos\[0\]\.path: give exactly one of path or url$/,
    ],
    ['neither path nor url', { videos: [{}] }, /^shots\[0\]\.videos\[0\]\.path: give exactly one of path or url$/],
    ['a url that is not http(s)', { videos: [{ url: 'ftp://x.example/v.mp4' }] }, /^shots\[0\]\.videos\[0\]\.url: url must be http\(s\)/],
    [
      'a URL in path',
      { audios: [{ path: 'https://x.example/a.mp3' }], videos: [video] },
      /^shots\[0\]\.audios\[0\]\.path: path is a local file relative to the storyboard/,
    ],
    [
      'a role on a video',
      { videos: [{ url: 'https://x.example/v.mp4', role: 'reference_video' }] },
      /^shots\[0\]\.videos\[0\]\.role: unknown key "role" \(a reference video or audio clip has path or url\)$/,
    ],
    [
      'videos not a list',
      { videos: 'v.mp4' },
      /^shots\[0\]\.videos: a list of reference videos, each \{ path \} or \{ url \}, got a string$/,
    ],
  ])('%s', (_name, shot, expected) => {
    const problems = problemsOf(board(shot));
    expect(problems).toEqual([expect.stringMatching(expected)]);
  });

  test.each<[string, object]>([
    ['a video alone', { videos: [video] }],
    ['3 videos and 3 audio clips', { videos: [video, video, video], audios: [audio, audio, audio] }],
    ['audio with a video', { videos: [video], audios: [audio] }],
    ['audio with a reference image', { audios: [audio], images: [refImage] }],
    ['Seedance 2.0 fast through the tasks family', { model: FAST, api: 'tasks', videos: [video], audios: [audio] }],
    ['in defaults', {}],
  ])('valid: %s', (_name, shot) => {
    const doc = board(shot);
    if (_name === 'in defaults') Object.assign(doc, { defaults: { model: V2, videos: [video], audios: [audio] } });
    expect(problemsOf(doc)).toEqual([]);
  });

  test('a shot in workflow history carries references, never bytes', () => {
    const parsed = ShotSchema.safeParse({ prompt: 'p', model: V2, videos: [{ url: 'data:video/mp4;base64,AAAA' }] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]).toMatchObject({
      path: ['videos', 0, 'url'],
      message: expect.stringMatching(/data: URLs may not travel/),
    });
    // A shot without references is parsed exactly as before they existed: no empty lists added.
    expect(shotFromInput({ prompt: 'p' })).not.toHaveProperty('videos');
  });
});

describe('the type is decided by content', () => {
  test.each<[keyof typeof MEDIA, 'video' | 'audio', string]>([
    ['mp4', 'video', 'video/mp4'],
    ['mov', 'video', 'video/quicktime'],
    ['wav', 'audio', 'audio/wav'],
    ['mp3', 'audio', 'audio/mpeg'],
    ['mp3Frames', 'audio', 'audio/mpeg'],
  ])('%s is %s (%s)', (name, kind, mime) => {
    expect(sniffMedia(MEDIA[name])).toEqual({ ok: true, header: expect.objectContaining({ kind, mime }) });
  });

  test.each<[keyof typeof MEDIA, 'video' | 'audio', RegExp]>([
    ['webm', 'video', /^is WebM\/Matroska; a reference video is MP4 or MOV$/],
    ['aac', 'audio', /^is AAC \(ADTS\) audio; a reference audio is MP3 or WAV$/],
    ['png', 'video', /^is a png image; a reference video is MP4 or MOV$/],
    ['wav', 'video', /^is WAV audio, not a video$/],
    ['mp4', 'audio', /^is MP4 video, not audio$/],
    ['text', 'video', /^not a video \(starts with 68 65 6c 6c 6f 2c 20 74\); a reference video is MP4 or MOV$/],
  ])('%s as a %s is refused', (name, kind, reason) => {
    const checked = checkMediaHeader(kind, MEDIA[name]);
    expect(checked.ok).toBe(false);
    if (!checked.ok) expect(checked.reason).toMatch(reason);
  });
});

describe('files on disk (the CLI) and in storage (the worker)', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-refs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, bytes] of Object.entries(MEDIA)) writeFileSync(path.join(dir, `${name}.bin`), bytes);
  writeFileSync(path.join(dir, 'motion.mp4'), MEDIA.mp4);
  writeFileSync(path.join(dir, 'fake.mp4'), MEDIA.png);
  writeFileSync(path.join(dir, 'music.wav'), MEDIA.wav);
  writeFileSync(path.join(dir, 'hero.png'), MEDIA.png);
  // Sparse: one byte over the limit costs no disk.
  writeFileSync(path.join(dir, 'huge.mp4'), MEDIA.mp4);
  truncateSync(path.join(dir, 'huge.mp4'), MAX_MEDIA_BYTES.video + 1);

  const BAD = {
    id: 'bad',
    shots: [
      { id: 's0', prompt: 'p', model: V2, videos: [{ path: 'motion.mp4' }, { path: 'fake.mp4' }] },
      { id: 's1', prompt: 'p', model: V2, videos: [{ path: 'webm.bin' }], audios: [{ path: 'mp4.bin' }] },
      { id: 's2', prompt: 'p', model: V2, videos: [{ path: 'text.bin' }, { path: 'huge.mp4' }, { path: 'missing.mov' }] },
    ],
  };
  const EXPECTED = [
    ['shots[0].videos[1].path', /^fake\.mp4: is a png image; a reference video is MP4 or MOV$/],
    ['shots[1].videos[0].path', /^webm\.bin: is WebM\/Matroska; a reference video is MP4 or MOV$/],
    ['shots[1].audios[0].path', /^mp4\.bin: is MP4 video, not audio$/],
    ['shots[2].videos[0].path', /^text\.bin: not a video \(starts with 68 65 6c 6c 6f 2c 20 74\)/],
    [
      'shots[2].videos[1].path',
      new RegExp(`^huge\\.mp4: ${MAX_MEDIA_BYTES.video + 1} bytes, over a reference video's 31457280-byte limit \\(30 MiB\\)$`),
    ],
    ['shots[2].videos[2].path', /^missing\.mov: /],
  ] as const;

  test('the CLI: every problem at its path', async () => {
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify(BAD));
    const { problems } = await checkStoryboardFile(path.join(dir, 'bad.json'));
    expect(problems.map((p) => p.path)).toEqual(EXPECTED.map(([p]) => p));
    problems.forEach((p, i) => expect(p.message).toMatch(EXPECTED[i]?.[1] as RegExp));
  });

  test('the worker: the same problems for the same files in its storage', async () => {
    const files: Record<string, string> = { 'boards/bad.json': JSON.stringify(BAD) };
    for (const name of ['motion.mp4', 'fake.mp4', 'webm.bin', 'mp4.bin', 'text.bin', 'huge.mp4'])
      files[`boards/${name}`] = `@${path.join(dir, name)}`;
    const storage = new FileStorage(writeTree(path.join(dir, 'store-bad'), files));
    const result = await stageStoryboardSourceWith(storage, { storyboardId: 'bad', source: 'boards/bad.json' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.path)).toEqual(EXPECTED.map(([p]) => p));
    result.problems.forEach((p, i) => expect(p.message).toMatch(EXPECTED[i]?.[1] as RegExp));
  });

  const GOOD = {
    id: 'good',
    shots: [
      {
        id: 's0',
        prompt: 'p',
        model: V2,
        images: [{ path: 'hero.png', role: 'reference_image' }],
        videos: [{ path: 'motion.mp4' }, { url: 'HTTPS://cdn.example/more.mov' }],
        audios: [{ path: 'music.wav' }],
      },
    ],
  };
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

  test('staged by the CLI and by the worker alike: content-addressed references on the pages, no bytes', async () => {
    writeFileSync(path.join(dir, 'good.json'), JSON.stringify(GOOD));
    const cliStorage = new FileStorage(mkdtempSync(path.join(dir, 'cli-')));
    const checked = await checkStoryboardFile(path.join(dir, 'good.json'));
    expect(checked.problems).toEqual([]);
    const fromCli = await stageStoryboard(cliStorage, checked);

    const files: Record<string, string> = { 'boards/good.json': JSON.stringify(GOOD) };
    for (const name of ['motion.mp4', 'music.wav', 'hero.png']) files[`boards/${name}`] = `@${path.join(dir, name)}`;
    const workerStorage = new FileStorage(writeTree(path.join(dir, 'store-good'), files));
    const fromWorker = await stageStoryboardSourceWith(workerStorage, { storyboardId: 'good', source: 'boards/good.json' });
    expect(fromWorker.ok).toBe(true);

    for (const [storage, prefix] of [
      [cliStorage, fromCli.stagedPrefix],
      [workerStorage, fromWorker.ok ? fromWorker.stagedPrefix : ''],
    ] as const) {
      const page = readFileSync(storage.pathOf(`${prefix}/page-00000.json`), 'utf8');
      expect(JSON.parse(page)[0].shot).toMatchObject({
        images: [{ url: storage.urlOf(`inputs/${sha(MEDIA.png)}.png`), role: 'reference_image' }],
        videos: [{ url: storage.urlOf(`inputs/${sha(MEDIA.mp4)}.mp4`) }, { url: 'https://cdn.example/more.mov' }],
        audios: [{ url: storage.urlOf(`inputs/${sha(MEDIA.wav)}.wav`) }],
      });
      expect(page).not.toMatch(/base64/);
      expect(readFileSync(storage.pathOf(`inputs/${sha(MEDIA.mp4)}.mp4`))).toEqual(MEDIA.mp4);
      expect(readFileSync(storage.pathOf(`inputs/${sha(MEDIA.wav)}.wav`))).toEqual(MEDIA.wav);
    }
  });
});

describe('the submit', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sf-refs-submit-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const storage = new FileStorage(writeTree(root, {}));
  const sources = { isStaged: stagedImageMatcher((key) => storage.urlOf(key)), readS3: () => Promise.reject(new Error('not S3')) };
  const stage = (bytes: Buffer, ext: string) => {
    const key = `inputs/${sha(bytes)}.${ext}`;
    writeFileSync(storage.pathOf(key), bytes);
    return storage.urlOf(key);
  };
  const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  beforeAll(() => writeTree(root, { 'inputs/.keep': '' }));

  test('a staged file is inlined as a data URL of its real type; http(s) passes through', async () => {
    const url = stage(MEDIA.mov, 'mov');
    await expect(resolveMediaUrl({ url }, 'video', sources)).resolves.toBe(`data:video/quicktime;base64,${MEDIA.mov.toString('base64')}`);
    await expect(resolveMediaUrl({ url: stage(MEDIA.mp3, 'mp3') }, 'audio', sources)).resolves.toMatch(/^data:audio\/mpeg;base64,/);
    await expect(resolveMediaUrl({ url: 'https://cdn.example/a.mp4' }, 'video', sources)).resolves.toBe('https://cdn.example/a.mp4');
  });

  test('anything not staged here, or not what it claims, is InvalidRequest and nothing is read or sent', async () => {
    const outside = writeTree(mkdtempSync(path.join(os.tmpdir(), 'sf-outside-')), { 'a.mp4': MEDIA.mp4 });
    for (const [url, kind, message] of [
      [`file://${outside}/a.mp4`, 'video', /is not a file staged into this worker's storage/],
      [stage(MEDIA.png, 'mp4'), 'video', /is a png image/],
      [stage(MEDIA.mp4, 'mp4'), 'audio', /is MP4 video, not audio/],
    ] as const) {
      const err = await resolveMediaUrl({ url }, kind, sources).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).type).toBe('InvalidRequest');
      expect((err as ApplicationFailure).message).toMatch(message);
    }
  });

  test('the tasks request carries video_url and audio_url items with their roles, after the images', () => {
    const shot = shotFromInput({
      prompt: 'p',
      model: V2,
      images: [{ url: 'https://x.example/a.png', role: 'reference_image' }],
      videos: [{ url: 'https://x.example/v.mp4' }],
      audios: [{ url: 'https://x.example/a.wav' }],
    });
    const body = buildTasksRequest(shot, ['https://x.example/a.png'], {
      videos: ['data:video/mp4;base64,AAAA'],
      audios: ['https://x.example/a.wav'],
    });
    expect(body.content).toEqual([
      { type: 'text', text: 'p' },
      { type: 'image_url', image_url: { url: 'https://x.example/a.png' }, role: 'reference_image' },
      { type: 'video_url', video_url: { url: 'data:video/mp4;base64,AAAA' }, role: 'reference_video' },
      { type: 'audio_url', audio_url: { url: 'https://x.example/a.wav' }, role: 'reference_audio' },
    ]);
  });
});

describe('the submit with presigned links (SEEDANCE_MEDIA_DELIVERY=presigned)', () => {
  const bucketUrl = (key: string) => `s3://bucket/renders/${key}`;
  const key = `inputs/${'a'.repeat(64)}.mp4`;
  const links: Array<[string, string, number]> = [];
  /** A bucket holding `objects` (full key → bytes), read only through ranged heads. */
  const sourcesOver = (objects: Record<string, Buffer>) => ({
    isStaged: stagedImageMatcher(bucketUrl),
    readS3: () => Promise.reject(new Error('a presigned reference is never read whole')),
    presigned: {
      link: async (bucket: string, k: string, seconds: number) => {
        links.push([bucket, k, seconds]);
        return `https://s3.example/${bucket}/${k}?X-Amz-Signature=sig`;
      },
      head: async (_bucket: string, k: string, n: number) => {
        const bytes = objects[k];
        if (!bytes) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
        return { first: bytes.subarray(0, n), size: bytes.length };
      },
    },
  });
  const failureOf = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => e as ApplicationFailure,
    );

  test('a staged reference becomes a link that outlives the queue wait, after a look at its first bytes', async () => {
    const sources = sourcesOver({ [`renders/${key}`]: MEDIA.mp4 });
    await expect(resolveMediaUrl({ url: bucketUrl(key) }, 'video', sources)).resolves.toBe(
      `https://s3.example/bucket/renders/${key}?X-Amz-Signature=sig`,
    );
    await resolveMediaUrl({ url: bucketUrl(key) }, 'video', sources, undefined, linkSecondsFor(3600));
    expect(links).toEqual([
      ['bucket', `renders/${key}`, 48 * 3600 + 3600],
      ['bucket', `renders/${key}`, 2 * 3600],
    ]);
  });

  test('missing, of another kind, too large, not staged here: InvalidRequest, no link; a signer that fails: StorageUnavailable', async () => {
    links.length = 0;
    const big = Buffer.concat([MEDIA.mp4, Buffer.alloc(16)]);
    const sources = sourcesOver({ [`renders/${key}`]: MEDIA.png });
    const cases: Array<[Promise<unknown>, string, RegExp]> = [
      [
        resolveMediaUrl({ url: bucketUrl(key.replace('a', 'b')) }, 'video', sources),
        'InvalidRequest',
        /does not exist \(was it staged\?\)/,
      ],
      [resolveMediaUrl({ url: bucketUrl(key) }, 'video', sources), 'InvalidRequest', /is a png image/],
      [
        resolveMediaUrl({ url: 's3://other-bucket/inputs/x.mp4' }, 'video', sources),
        'InvalidRequest',
        /not a file staged into this worker's storage/,
      ],
    ];
    for (const [promise, type, message] of cases) {
      const err = await failureOf(promise);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err?.type).toBe(type);
      expect(err?.message).toMatch(message);
    }
    const huge = sourcesOver({ [`renders/${key}`]: big });
    huge.presigned.head = async () => ({ first: big.subarray(0, 64), size: MAX_MEDIA_BYTES.audio + 1 });
    expect((await failureOf(resolveMediaUrl({ url: bucketUrl(key) }, 'audio', huge)))?.message).toMatch(
      /over a reference audio's .* limit/,
    );
    expect(links).toEqual([]);

    const failing = sourcesOver({ [`renders/${key}`]: MEDIA.mp4 });
    failing.presigned.link = () => Promise.reject(new Error('no credentials'));
    const err = await failureOf(resolveMediaUrl({ url: bucketUrl(key) }, 'video', failing));
    expect(err?.type).toBe('StorageUnavailable');
    expect(err?.message).toMatch(/cannot sign a link to video .*: no credentials/);
  });
});
