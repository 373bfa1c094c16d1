/**
 * Seedance 2.0 reference videos and audio end to end, on the real Temporal dev server, real
 * MinIO and the simulator (behind a proxy that keeps what the worker POSTed): a storyboard
 * naming a local video and audio clip (staged by the CLI's path) and one handed over as a file
 * in the bucket (staged by the worker) render; the provider received `video_url` /
 * `audio_url` items with their roles, as presigned links to MinIO that really serve the
 * staged bytes (the default on S3 storage) or as data URLs (SEEDANCE_MEDIA_DELIVERY=inline);
 * the workflows' histories carry the staged references, never the bytes or the links.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStoryboard } from '../../client/storyboard';
import { historyText } from '../helpers/history';
import { FAST_SCHEDULE, s3Object, startHarness, type Harness } from '../helpers/harness';
import { MEDIA } from '../helpers/media-files';
import { startRecordingProxy, type RecordingProxy } from '../helpers/recording-proxy';
import { stageBoard, startBoard } from '../helpers/storyboard';

jest.setTimeout(300_000);

const V2 = 'dreamina-seedance-2-0-260128';
const IMAGE = path.resolve(__dirname, '../fixtures/first-frame.png');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let h: Harness;
let proxy: RecordingProxy;
let files: string;

/** A harness whose provider calls go through a recording proxy; `env` configures its worker. */
function harness(env: Record<string, string>): void {
  beforeAll(async () => {
    proxy = await startRecordingProxy();
    h = await startHarness({ sim: { renderMs: 500, queueMs: 100 }, env: { SEEDANCE_API_BASE_URL: proxy.url, ...env } });
    proxy.target = h.sim.url;
    files = mkdtempSync(path.join(os.tmpdir(), 'sf-refs-it-'));
    writeFileSync(path.join(files, 'motion.mp4'), MEDIA.mp4);
    writeFileSync(path.join(files, 'music.wav'), MEDIA.wav);
  });
  afterAll(async () => {
    await h?.stop();
    await proxy?.close();
  });
  beforeEach(() => {
    h.sim.reset();
    proxy.posts.length = 0;
  });
}

/** The content items of the submit whose prompt contains `text`. */
function itemsOf(text: string): Array<Record<string, unknown>> {
  const post = proxy.posts.find((p) => JSON.stringify(p.body).includes(text));
  if (!post) throw new Error(`no submit with ${text}`);
  return (post.body as { content: Array<Record<string, unknown>> }).content;
}

const uniqueId = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

/** What no history may contain: the media as data URLs, their bytes in base64 (as they would be inlined), or a signed link. */
function expectNoMediaBytes(text: string): void {
  expect(text).not.toMatch(/data:(video|audio)\//);
  expect(text).not.toContain('X-Amz-Signature');
  expect(text.includes(MEDIA.mp4.toString('base64').slice(0, 40))).toBe(false);
  expect(text.includes(MEDIA.wav.toString('base64').slice(0, 40))).toBe(false);
}

/** What the provider got for a staged file: a link that serves exactly its bytes, or the bytes inline. */
let expectDelivered: (url: string, bytes: Buffer, mime: string) => Promise<void>;

const REFERENCES_TEST =
  'a storyboard with a reference video and audio renders; the provider got video_url and audio_url items; history holds only references';

/** The same storyboard under each delivery: only how the items reach the provider differs (expectDelivered). */
async function rendersWithReferences(): Promise<void> {
  const id = uniqueId('refs');
  const doc = {
    id,
    defaults: { duration: 5, model: V2 },
    shots: [
      {
        id: 's01',
        prompt: `${id} the dancer moves as in the clip, to the music`,
        images: [{ path: 'hero.png', role: 'reference_image' }],
        videos: [{ path: 'motion.mp4' }],
        audios: [{ path: 'music.wav' }],
      },
      { id: 's02', prompt: `${id} the music over the motion alone`, videos: [{ path: 'motion.mp4' }], audios: [{ path: 'music.wav' }] },
      { id: 's03', prompt: `${id} no references` },
    ],
  };
  const staged = await stageBoard(h, doc, {
    'hero.png': IMAGE,
    'motion.mp4': path.join(files, 'motion.mp4'),
    'music.wav': path.join(files, 'music.wav'),
  });
  const handle = await startBoard(h, staged, { window: 3 });
  const result = await handle.result();
  expect(result.counts).toMatchObject({ stored: 3, failed: 0, not_started: 0 });

  // The simulator counts `video_url` and `audio_url` content items (simulator/validation.ts).
  const references = Object.fromEntries(h.sim.stats().tasks.map((t) => [t.prompt.split(' ').slice(1, 3).join(' '), t.references]));
  expect(references).toEqual({
    'the dancer': { images: 1, videos: 1, audios: 1 },
    'the music': { images: 0, videos: 1, audios: 1 },
    'no references': { images: 0, videos: 0, audios: 0 },
  });
  expect(h.sim.stats()).toMatchObject({ submissions: 3 });
  // What the provider received: the items with their roles, after the image, by the chosen delivery.
  const items = itemsOf('the dancer');
  expect(items.map((i) => [i.type, i.role])).toEqual([
    ['text', undefined],
    ['image_url', 'reference_image'],
    ['video_url', 'reference_video'],
    ['audio_url', 'reference_audio'],
  ]);
  const sent = (i: number, type: string) => ((items[i] as Record<string, { url: string }>)[type] as { url: string }).url;
  await expectDelivered(sent(2, 'video_url'), MEDIA.mp4, 'video/mp4');
  await expectDelivered(sent(3, 'audio_url'), MEDIA.wav, 'audio/wav');

  // Staged once, content-addressed, beside the images; the shot's render carries the reference.
  const video = `s3://${h.bucket}/${h.prefix}/inputs/${sha(MEDIA.mp4)}.mp4`;
  const audio = `s3://${h.bucket}/${h.prefix}/inputs/${sha(MEDIA.wav)}.wav`;
  expect((await s3Object(h, `${h.prefix}/inputs/${sha(MEDIA.mp4)}.mp4`)).sha256).toBe(sha(MEDIA.mp4));
  expect((await s3Object(h, `${h.prefix}/inputs/${sha(MEDIA.wav)}.wav`)).sha256).toBe(sha(MEDIA.wav));
  for (const shot of ['s01', 's02']) {
    const text = await historyText(h.client.workflow.getHandle(`${id}/${shot}`));
    expect(text).toContain(JSON.stringify({ videos: [{ url: video }], audios: [{ url: audio }] }).slice(1, -1));
    expectNoMediaBytes(text);
  }
  expectNoMediaBytes(await historyText(h.client.workflow.getHandle(id)));
}

describe('presigned links (the default on S3 storage)', () => {
  harness({});
  beforeAll(() => {
    expectDelivered = async (url, bytes) => {
      expect(url).toMatch(
        new RegExp(`^${process.env.AWS_ENDPOINT_URL_S3}/${h.bucket}/${h.prefix}/inputs/[0-9a-f]{64}\\.(mp4|wav)\\?X-Amz-Algorithm=`),
      );
      expect(url).toMatch(/X-Amz-Expires=176400&/); // the default 48 h queue wait plus an hour
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(bytes);
      // Signed for GET of that object only: a changed key is refused.
      expect((await fetch(url.replace('/inputs/', '/inputs/x'), { signal: AbortSignal.timeout(10_000) })).status).toBe(403);
    };
  });

  test(REFERENCES_TEST, rendersWithReferences);

  test('a storyboard file in the bucket with a video and audio beside it is staged by the worker and renders alike', async () => {
    const id = uniqueId('refs-bucket');
    const put = (key: string, body: string | Buffer) =>
      h.s3.send(new PutObjectCommand({ Bucket: h.bucket, Key: `${h.prefix}/boards/${id}/${key}`, Body: body }));
    await put('clips/motion.mp4', MEDIA.mp4);
    await put('clips/music.wav', MEDIA.wav);
    await put(
      'board.yaml',
      `id: ${id}
defaults: { duration: 5, model: ${V2} }
shots:
  - id: s01
    prompt: ${id} motion and music
    videos: [{ path: clips/motion.mp4 }]
    audios: [{ path: clips/music.wav }]
`,
    );
    const handle = await startStoryboard(
      h.client,
      { storyboardId: id, source: `s3://${h.bucket}/${h.prefix}/boards/${id}/board.yaml`, schedule: FAST_SCHEDULE },
      h.config.SEEDANCE_TASK_QUEUE,
    );
    const result = await handle.result();
    expect(result.counts).toMatchObject({ stored: 1, failed: 0 });
    expect(h.sim.stats().tasks.map((t) => t.references)).toEqual([{ images: 0, videos: 1, audios: 1 }]);
    const text = await historyText(h.client.workflow.getHandle(`${id}/s01`));
    expect(text).toContain(`s3://${h.bucket}/${h.prefix}/inputs/${sha(MEDIA.mp4)}.mp4`);
    expectNoMediaBytes(text);
    expectNoMediaBytes(await historyText(h.client.workflow.getHandle(id)));
  });
});

describe('inline data URLs (SEEDANCE_MEDIA_DELIVERY=inline)', () => {
  harness({ SEEDANCE_MEDIA_DELIVERY: 'inline' });
  beforeAll(() => {
    expectDelivered = async (url, bytes, mime) => expect(url).toBe(`data:${mime};base64,${bytes.toString('base64')}`);
  });

  test(REFERENCES_TEST, rendersWithReferences);
});
