/**
 * A storyboard handed to renderStoryboard as a file in the bucket (or inline), end to end on
 * the real Temporal dev server, real MinIO and the simulator: nothing staged by hand, the
 * workflow's first activity reads, checks and stages it as `seedance-flow render` would.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startStoryboard } from '../../client/storyboard';
import { FailureType } from '../../common/errors';
import { MAX_INLINE_SHOTS, type ManifestEntry, type RenderStoryboardInput } from '../../common/storyboard';
import { historyText } from '../helpers/history';
import { FAST_SCHEDULE, s3Object, s3Text, startHarness, type Harness } from '../helpers/harness';

jest.setTimeout(300_000);

const IMAGE = path.resolve(__dirname, '../fixtures/first-frame.png');

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sim: { renderMs: 800, queueMs: 100 } });
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => h.sim.reset());

const uniqueId = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

/** Puts an object under this test file's storage prefix; returns its s3:// URL. */
async function put(key: string, body: string | Buffer): Promise<string> {
  await h.s3.send(new PutObjectCommand({ Bucket: h.bucket, Key: `${h.prefix}/${key}`, Body: body }));
  return `s3://${h.bucket}/${h.prefix}/${key}`;
}

function start(input: RenderStoryboardInput) {
  return startStoryboard(h.client, { schedule: FAST_SCHEDULE, ...input }, h.config.SEEDANCE_TASK_QUEUE);
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause).toBeInstanceOf(ApplicationFailure);
  return (err as WorkflowFailedError).cause as ApplicationFailure;
}

test('a YAML file in the bucket with an image beside it: every shot stored, the image shot submitted with the staged image', async () => {
  const id = uniqueId('from-bucket');
  const yaml = `id: ${id}
defaults: { duration: 5 }
shots:
  - id: s01
    prompt: ${id} the harbour at night
  - id: s02
    prompt: ${id} dawn from the first frame
    images: [{ path: images/first.png, role: first_frame }]
  - id: s03
    prompt: ${id} the boats leave
`;
  await put(`boards/${id}/images/first.png`, readFileSync(IMAGE));
  const source = await put(`boards/${id}/board.yaml`, yaml);
  const handle = await start({ storyboardId: id, source, window: 2 });
  const result = await handle.result();

  expect(result.counts).toMatchObject({ stored: 3, failed: 0, not_started: 0 });
  const manifest = JSON.parse(await s3Text(h, `${h.prefix}/${result.manifestKey}`)) as { shots: ManifestEntry[] };
  expect(manifest.shots.map((s) => [s.shotId, s.status])).toEqual([
    ['s01', 'stored'],
    ['s02', 'stored'],
    ['s03', 'stored'],
  ]);
  for (const s of manifest.shots) expect((await s3Object(h, `${h.prefix}/${s.key}`)).sha256).toBe(s.sha256);
  expect(Object.values(h.sim.stats().submissionsByPrompt)).toEqual([1, 1, 1]);

  // The image was staged content-addressed in the worker's storage, and the shot's render was
  // started with that reference (its bytes were inlined only by the submit activity).
  const sha = createHash('sha256').update(readFileSync(IMAGE)).digest('hex');
  const staged = `s3://${h.bucket}/${h.prefix}/inputs/${sha}.png`;
  expect((await s3Object(h, `${h.prefix}/inputs/${sha}.png`)).sha256).toBe(sha);
  const shot = await historyText(h.client.workflow.getHandle(`${id}/s02`));
  expect(shot).toContain(JSON.stringify({ url: staged, role: 'first_frame' }));
  expect(shot.includes('data:image')).toBe(false);
  // `retry` finds the staging record the CLI's `render` would have written.
  expect(JSON.parse(await s3Text(h, `${h.prefix}/${id}/.state/staged.json`))).toMatchObject({ storyboardId: id, totalShots: 3 });
});

test('an invalid file ends the workflow as InvalidRequest listing every problem; the provider got no submit', async () => {
  const id = uniqueId('bad-file');
  const source = await put(
    `boards/${id}.yaml`,
    `id: ${id}
shots:
  - id: s01
  - id: s02
    prompt: fine
    ratio: "5:4"
  - id: s03
    prompt: missing image
    images: [{ path: nowhere.png }]
  - id: s04
    prompt: outside
    images: [{ path: ../../secret.png }]
`,
  );
  const failure = await failureOf((await start({ storyboardId: id, source })).result());

  expect(failure.type).toBe(FailureType.InvalidRequest);
  expect(failure.message).toContain(`storyboard ${id} (${source}) has 2 problems, nothing was submitted`);
  expect(failure.message).toContain('shots[0].prompt: prompt is required');
  expect(failure.message).toMatch(/shots\[1\]\.ratio: /);
  const details = failure.details?.[0] as { problems: { path: string }[] };
  expect(details.problems.map((p) => p.path)).toEqual(['shots[0].prompt', 'shots[1].ratio']);
  expect(h.sim.stats()).toMatchObject({ submitAttempts: 0, submissions: 0 });

  // Fixed rules, the images are checked next: every image problem, still nothing submitted.
  const id2 = uniqueId('bad-images');
  const source2 = await put(
    `boards/${id2}.yaml`,
    `id: ${id2}
shots:
  - { id: s03, prompt: missing image, images: [{ path: nowhere.png }] }
  - { id: s04, prompt: outside, images: [{ path: ../../secret.png }] }
`,
  );
  const images = await failureOf((await start({ storyboardId: id2, source: source2 })).result());
  expect(images.message).toContain('shots[0].images[0].path: nowhere.png: no such object in storage');
  expect(images.message).toMatch(/shots\[1\]\.images\[0\]\.path: \.\.\/\.\.\/secret\.png: leaves the storyboard's folder/);
  expect(h.sim.stats()).toMatchObject({ submitAttempts: 0, submissions: 0 });
});

test('a file in another bucket is refused without being read; a missing one is a problem, not a retry', async () => {
  const id = uniqueId('other-bucket');
  const failure = await failureOf((await start({ storyboardId: id, source: `s3://some-other-bucket/${id}.yaml` })).result());
  expect(failure.type).toBe(FailureType.InvalidRequest);
  expect(failure.message).toMatch(/another bucket or outside its prefix/);

  const missing = `s3://${h.bucket}/${h.prefix}/boards/${id}-missing.yaml`;
  const gone = await failureOf((await start({ storyboardId: uniqueId('missing'), source: missing })).result());
  expect(gone.type).toBe(FailureType.InvalidRequest);
  expect(gone.message).toContain(`${missing}: no such object in storage`);
  expect(h.sim.stats().submitAttempts).toBe(0);
});

test('an inline storyboard of a few shots renders', async () => {
  const id = uniqueId('inline');
  const storyboard = { id, defaults: { duration: 5 }, shots: [1, 2, 3].map((i) => ({ id: `s${i}`, prompt: `${id} inline ${i}` })) };
  const result = await (await start({ storyboardId: id, storyboard })).result();
  expect(result.counts).toMatchObject({ stored: 3, failed: 0, not_started: 0 });
  expect(result.shots?.map((s) => s.status)).toEqual(['stored', 'stored', 'stored']);
});

test(`an inline storyboard of ${MAX_INLINE_SHOTS + 1} shots is refused, pointing at a file`, async () => {
  const id = uniqueId('inline-big');
  const storyboard = { id, shots: Array.from({ length: MAX_INLINE_SHOTS + 1 }, (_, i) => ({ id: `s${i}`, prompt: `${id} ${i}` })) };
  const failure = await failureOf((await start({ storyboardId: id, storyboard })).result());
  expect(failure.type).toBe(FailureType.InvalidRequest);
  expect(failure.message).toMatch(/at most 100 shots, this one has 101: put it in a file in storage and pass its location as source/);
  expect(h.sim.stats().submitAttempts).toBe(0);
});
