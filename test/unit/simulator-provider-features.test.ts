/**
 * The simulator's share of issue 16, over HTTP: draft renders and finals from them
 * (`draft: true`, `content[].draft_task` / `draft_task_id`), output moderation that tells the
 * video from the generated audio, and Seedance 2.0's video and audio references, with the rules
 * docs/provider/notes.md gives ("Limits and tiers", "Failures seen in the field").
 */
import { startSimulator, type RunningSimulator } from '../../simulator';

const TASKS = '/api/v3/contents/generations/tasks';
const PRO_15 = 'doubao-seedance-1-5-pro-251215';
const V2 = 'dreamina-seedance-2-0-260128';
const V1 = 'doubao-seedance-1-0-pro-250528';
const AUTH = { authorization: 'Bearer sk-test' };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startSimulator({ config: { renderMs: 0, queueMs: 0 } });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.reset());

async function post(path: string, body: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function submit(body: Record<string, unknown>): Promise<string> {
  const answer = await post(TASKS, body);
  expect(answer).toMatchObject({ status: 200 });
  return answer.json.id as string;
}

async function getTask(id: string): Promise<Json> {
  return (await fetch(`${sim.url}${TASKS}/${id}`, { headers: AUTH })).json() as Promise<Json>;
}

const text = (t: string) => ({ type: 'text', text: t });
const image = (role: string, url = 'https://img.example/a.png') => ({ type: 'image_url', image_url: { url }, role });
const video = (url = 'https://media.example/ref.mp4') => ({ type: 'video_url', video_url: { url }, role: 'reference_video' });
const audio = (url = 'https://media.example/ref.mp3') => ({ type: 'audio_url', audio_url: { url }, role: 'reference_audio' });

async function refused(body: Record<string, unknown>, message: RegExp): Promise<void> {
  const answer = await post(TASKS, body);
  expect(answer.status).toBe(400);
  expect(answer.json.error).toMatchObject({ code: 'InvalidParameter' });
  expect(answer.json.error.message).toMatch(message);
}

describe('draft mode (Seedance 1.5 pro)', () => {
  it('renders a draft at 480p, then a final from it that reuses its prompt, ratio, duration and seed', async () => {
    const draftId = await submit({ model: PRO_15, content: [text('s01 harbour at dawn')], draft: true, ratio: '9:16', duration: 4 });
    const draft = await getTask(draftId);
    expect(draft).toMatchObject({ status: 'succeeded', resolution: '480p', ratio: '9:16', duration: 4, draft: true });
    // Billed as the 480p video it is: 496 × 864 × (24 × 4 + 1) / 1024.
    expect(draft.usage.completion_tokens).toBe(Math.round((496 * 864 * 97) / 1024));

    const finalId = await submit({ model: PRO_15, content: [{ type: 'draft_task', draft_task: { id: draftId } }], resolution: '1080p' });
    const final = await getTask(finalId);
    expect(final).toMatchObject({ status: 'succeeded', resolution: '1080p', ratio: '9:16', duration: 4, seed: draft.seed });
    expect(final.draft_task_id).toBe(draftId);
    expect(final).not.toHaveProperty('draft');
    expect(final.usage.completion_tokens).toBe(Math.round((1088 * 1920 * 97) / 1024));

    const [first, second] = sim.stats().tasks;
    expect(first).toMatchObject({ id: draftId, draft: true, prompt: 's01 harbour at dawn' });
    expect(second).toMatchObject({ id: finalId, draft: false, draftTaskId: draftId, prompt: 's01 harbour at dawn' });
  });

  it('accepts the draft as a top-level draft_task_id too, and a final that sends text takes it as its prompt', async () => {
    const draftId = await submit({ model: PRO_15, content: [text('a fox')], draft: true });
    const finalId = await submit({ model: PRO_15, content: [text('a fox, final [sim:render=0]')], draft_task_id: draftId });
    expect(await getTask(finalId)).toMatchObject({ status: 'succeeded', resolution: '720p', draft_task_id: draftId });
    expect(sim.stats().tasks[1]).toMatchObject({ prompt: 'a fox, final [sim:render=0]', draftTaskId: draftId });
  });

  it('refuses drafts the provider does not render', async () => {
    await refused({ model: V2, content: [text('x')], draft: true }, /Seedance 1\.5 pro/);
    await refused({ model: PRO_15, content: [text('x')], draft: true, resolution: '720p' }, /480p/);
    expect(sim.stats().submissions).toBe(0);
  });

  it('refuses finals whose draft is unknown, unfinished, not a draft, of another model, or that bring media', async () => {
    const ref = (id: string) => ({ type: 'draft_task', draft_task: { id } });
    await refused({ model: PRO_15, content: [ref('cgt-20260101000000-1')] }, /not found/);
    const slow = await submit({ model: PRO_15, content: [text('slow [sim:render=60000]')], draft: true });
    await refused({ model: PRO_15, content: [ref(slow)] }, /has not succeeded/);
    const plain = await submit({ model: PRO_15, content: [text('not a draft')] });
    await refused({ model: PRO_15, content: [ref(plain)] }, /not a draft/);
    const draft = await submit({ model: PRO_15, content: [text('draft')], draft: true });
    await refused({ model: 'doubao-seedance-1-5-pro-260101', content: [ref(draft)] }, /same model/);
    await refused({ model: PRO_15, content: [ref(draft), image('first_frame')] }, /reuses the draft/);
    await refused({ model: PRO_15, content: [ref(draft)], draft: true }, /cannot itself reference/);
    await refused({ model: PRO_15, content: [ref(draft)], draft_task_id: plain }, /exactly one draft/);
    expect(sim.stats().submissions).toBe(3);
  });
});

describe('output moderation: video and audio', () => {
  it('[sim:audio-policy] blocks a render with sound; the same prompt rendered silent passes', async () => {
    const prompt = 'a crowd chanting [sim:audio-policy]';
    const loud = await getTask(await submit({ model: PRO_15, content: [text(prompt)] }));
    expect(loud).toMatchObject({ status: 'failed', error: { code: 'OutputAudioSensitiveContentDetected' } });
    expect(loud.error.message).toMatch(/output audio/);
    const silent = await getTask(await submit({ model: PRO_15, content: [text(prompt)], generate_audio: false }));
    expect(silent.status).toBe('succeeded');
    // Seedance 1.0 makes no sound, so there is nothing to block.
    expect((await getTask(await submit({ model: V1, content: [text(prompt)] }))).status).toBe('succeeded');
    expect(sim.stats().tasks.map((t) => t.audio)).toEqual([true, false, false]);
  });

  it('keeps OutputVideoSensitiveContentDetected for the video, whatever the audio', async () => {
    const id = await submit({ model: PRO_15, content: [text('x [sim:output-policy]')], generate_audio: false });
    expect((await getTask(id)).error.code).toBe('OutputVideoSensitiveContentDetected');
  });

  it('the audioPolicy rate blocks renders with sound only', async () => {
    sim.configure({ rates: { audioPolicy: 1 } });
    expect((await getTask(await submit({ model: V2, content: [text('a')] }))).error.code).toBe('OutputAudioSensitiveContentDetected');
    expect((await getTask(await submit({ model: V2, content: [text('b')], generate_audio: false }))).status).toBe('succeeded');
  });

  it('reports an audio block in the predictions family as its string error', async () => {
    const submitted = await post(`/api/v3/bytedance/${V2}/text-to-video`, { prompt: 'x [sim:audio-policy]' });
    const result: Json = await (await fetch(submitted.json.data.urls.get, { headers: AUTH })).json();
    expect(result.data).toMatchObject({ status: 'failed', outputs: [] });
    expect(result.data.error).toMatch(/^OutputAudioSensitiveContentDetected: /);
    const silent = await post(`/api/v3/bytedance/${V2}/text-to-video`, { prompt: 'x [sim:audio-policy]', generate_audio: false });
    const silentResult: Json = await (await fetch(silent.json.data.urls.get, { headers: AUTH })).json();
    expect(silentResult.data.status).toBe('succeeded');
  });
});

describe('video and audio references (Seedance 2.0)', () => {
  it('accepts up to 3 videos and 3 audio clips beside reference images, and counts them', async () => {
    const id = await submit({
      model: V2,
      content: [text('x'), image('reference_image'), video(), video('data:video/mp4;base64,AAAA'), video(), audio(), audio(), audio()],
    });
    expect((await getTask(id)).status).toBe('succeeded');
    expect(sim.stats().tasks[0]?.references).toEqual({ images: 1, videos: 3, audios: 3 });
    // A video may be the only reference; audio with a video is fine.
    await submit({ model: 'doubao-seedance-2-0-fast-260128', content: [text('x'), video()] });
    await submit({ model: V2, content: [text('x'), video(), audio()] });
  });

  it('refuses what the provider documents as unsupported', async () => {
    await refused({ model: V2, content: [text('x'), video(), video(), video(), video()] }, /at most 3 reference videos/);
    await refused({ model: V2, content: [text('x'), image('reference_image'), audio(), audio(), audio(), audio()] }, /at most 3/);
    await refused({ model: V2, content: [text('x'), audio()] }, /audio cannot be the only reference/);
    await refused({ model: V2, content: [text('x'), image('first_frame'), video()] }, /first_frame/);
    await refused({ model: PRO_15, content: [text('x'), video()] }, /Seedance 2\.0 only/);
    await refused({ model: V2, content: [text('x'), video('ftp://media.example/a.mp4')] }, /video_url\.url/);
    await refused({ model: V2, content: [text('x'), video('data:audio/mp3;base64,AAAA')] }, /data:video/);
    await refused({ model: V2, content: [text('x'), { ...video(), role: 'reference_image' }] }, /reference_video/);
    expect(sim.stats().submissions).toBe(0);
  });
});
