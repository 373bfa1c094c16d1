/**
 * What the simulator's output links serve: the sample clip and its real last frame by default,
 * and with `clips: 'labelled'` a small clip per shot (its label, ratio, duration drawn on a test
 * pattern, at the requested ratio and duration) whose `last_frame_url` is that clip's last frame.
 * Frames are compared by decoding both sides with ffmpeg.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type RunningSimulator } from '../../simulator';
import { clipSize, infoLine } from '../../simulator/clip-card';
import { clipLabel } from '../../simulator/clip-label';
import { bundledFfmpeg, ClipCache, sharedClips } from '../../simulator/clips';

const TASKS = '/api/v3/contents/generations/tasks';
const MODEL = 'doubao-seedance-1-5-pro-251215';
const AUTH = { authorization: 'Bearer sk-test' };
const ASSETS = join(__dirname, '..', '..', 'simulator', 'assets');
const SAMPLE_MP4 = readFileSync(join(ASSETS, 'sample.mp4'));
const FRAME_PNG = readFileSync(join(ASSETS, 'frame.png'));

// Each labelled clip is an ffmpeg run or two (about a second on a busy machine).
jest.setTimeout(60_000);

let sim: RunningSimulator;
let tmp: string;

beforeAll(async () => {
  sim = await startSimulator({ config: { renderMs: 0, queueMs: 0 } });
  tmp = mkdtempSync(join(tmpdir(), 'sim-clips-test-'));
});
afterAll(async () => {
  await sim.close();
  rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => sim.reset());

interface Decoded {
  width: number;
  height: number;
  /** Every frame as RGB bytes. */
  frames: Buffer[];
  hasAudio: boolean;
}

let files = 0;
/** Decodes a video or picture with ffmpeg into its frames (RGB), size and whether it has sound. */
function decode(bytes: Buffer): Decoded {
  const file = join(tmp, `input-${files++}`);
  writeFileSync(file, bytes);
  const probe = spawnSync(bundledFfmpeg(), ['-hide_banner', '-i', file], { encoding: 'utf8' });
  const size = / Video: .*?, (\d+)x(\d+)/.exec(probe.stderr);
  if (size === null) throw new Error(`no video stream: ${probe.stderr}`);
  const [width, height] = [Number(size[1]), Number(size[2])];
  const raw = spawnSync(bundledFfmpeg(), ['-loglevel', 'error', '-i', file, '-map', '0:v:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    maxBuffer: 256 * 1024 * 1024,
  });
  const frameBytes = width * height * 3;
  const frames: Buffer[] = [];
  for (let at = 0; at + frameBytes <= raw.stdout.length; at += frameBytes) frames.push(raw.stdout.subarray(at, at + frameBytes));
  return { width, height, frames, hasAudio: / Audio: /.test(probe.stderr) };
}

async function submit(body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${sim.url}${TASKS}`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, return_last_frame: true, ...body }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

/** The task's video and last frame, as served. */
async function outputs(id: string): Promise<{ video: Buffer; frame: Buffer }> {
  const task = (await (await fetch(`${sim.url}${TASKS}/${id}`, { headers: AUTH })).json()) as {
    content: { video_url: string; last_frame_url: string };
  };
  const get = async (url: string) => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  };
  return { video: await get(task.content.video_url), frame: await get(task.content.last_frame_url) };
}

const lastOf = (d: Decoded): Buffer | undefined => d.frames[d.frames.length - 1];

describe('the sample clip (default)', () => {
  it('serves frame.png, which is the decoded last frame of sample.mp4 and a valid input image', async () => {
    const id = await submit({ content: [{ type: 'text', text: 'any shot' }] });
    const served = await outputs(id);
    expect(served.video.equals(SAMPLE_MP4)).toBe(true);
    expect(served.frame.equals(FRAME_PNG)).toBe(true);

    const video = decode(SAMPLE_MP4);
    const frame = decode(FRAME_PNG);
    expect([frame.width, frame.height]).toEqual([video.width, video.height]);
    expect(Math.min(frame.width, frame.height)).toBeGreaterThanOrEqual(300); // notes.md, "Inputs"
    expect(frame.frames[0]?.equals(lastOf(video) ?? Buffer.alloc(0))).toBe(true);
    // A moving box: the first frame is not the last, so a continuity test can tell them apart.
    expect(video.frames[0]?.equals(lastOf(video) ?? Buffer.alloc(0))).toBe(false);
  });
});

describe("labelled clips (clips: 'labelled')", () => {
  it('differ per shot, at the requested ratio and duration, and serve their own last frame', async () => {
    sim.configure({ clips: 'labelled' });
    const tall = await submit({ content: [{ type: 'text', text: 'harbour at dawn [sim:label=s01-harbour]' }], ratio: '9:16', duration: 2 });
    const wide = await submit({ content: [{ type: 'text', text: 'the fox runs' }], ratio: '21:9', duration: 3, generate_audio: false });
    const a = await outputs(tall);
    const b = await outputs(wide);
    expect(a.video.equals(b.video)).toBe(false);
    expect(a.video.equals(SAMPLE_MP4)).toBe(false);

    const va = decode(a.video);
    const vb = decode(b.video);
    expect([va.width, va.height, va.frames.length, va.hasAudio]).toEqual([300, 534, 49, true]);
    expect([vb.width, vb.height, vb.frames.length, vb.hasAudio]).toEqual([700, 300, 73, false]);
    expect(decode(a.frame).frames[0]?.equals(lastOf(va) ?? Buffer.alloc(0))).toBe(true);
    expect(decode(b.frame).frames[0]?.equals(lastOf(vb) ?? Buffer.alloc(0))).toBe(true);
    expect(decode(a.frame).frames[0]?.equals(lastOf(vb) ?? Buffer.alloc(0))).toBe(false);
  });

  it('a draft and its final show the same label and still differ', async () => {
    sim.configure({ clips: 'labelled' });
    const draft = await submit({ content: [{ type: 'text', text: 's02 lighthouse' }], draft: true, duration: 2 });
    const final = await submit({ content: [{ type: 'draft_task', draft_task: { id: draft } }] });
    const [d, f] = [await outputs(draft), await outputs(final)];
    expect(d.video.equals(f.video)).toBe(false);
    expect(decode(f.video).frames).toHaveLength(49); // the draft's 2 s: 24 × 2 + 1 frames
  });

  it('makes nothing at submit, and tasks of one shot share one clip', async () => {
    sim.configure({ clips: 'labelled' });
    const before = sharedClips.size;
    for (let i = 0; i < 20; i++) await submit({ content: [{ type: 'text', text: `shot ${i} never downloaded` }] });
    expect(sharedClips.size).toBe(before);
    const one = await submit({ content: [{ type: 'text', text: 'same shot' }], duration: 2 });
    const two = await submit({ content: [{ type: 'text', text: 'same shot' }], duration: 2 });
    const [x, y] = [await outputs(one), await outputs(two)];
    expect(x.video.equals(y.video) && x.frame.equals(y.frame)).toBe(true);
    expect(sharedClips.size).toBe(before + 1);
  });

  it('is fixed per task at creation: a task created before the switch keeps the sample', async () => {
    const early = await submit({ content: [{ type: 'text', text: 'early shot' }] });
    sim.configure({ clips: 'labelled' });
    const served = await outputs(early);
    expect(served.video.equals(SAMPLE_MP4) && served.frame.equals(FRAME_PNG)).toBe(true);
  });

  it('falls back to the sample clip and its last frame, warning once, when ffmpeg cannot make a clip', async () => {
    const warnings: string[] = [];
    const cache = new ClipCache(
      () => join(tmp, 'no-ffmpeg'),
      64,
      (m) => warnings.push(m),
    );
    const spec = { label: 'x', ratio: '16:9', seconds: 1, frames: 25, resolution: '720p', draft: false, audio: false };
    const clip = await cache.get(spec);
    expect(clip.video.equals(SAMPLE_MP4) && clip.lastFrame.equals(FRAME_PNG)).toBe(true);
    await cache.get({ ...spec, label: 'y' });
    expect(cache.size).toBe(2);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/sample clip/);
  });

  it('refuses an unknown clip mode', () => {
    expect(() => sim.configure({ clips: 'fancy' as never })).toThrow(/clips must be/);
  });
});

describe('clip labels and sizes', () => {
  it('labels a clip by [sim:label=...], else by the first words of the prompt without directives', () => {
    expect(clipLabel({ prompt: 'a fox [sim:label=s03-fox] at dusk', label: 's03-fox' })).toBe('s03-fox');
    expect(clipLabel({ prompt: 's03 close-up [sim:render=5] of the fox at dusk, slowly', label: undefined })).toBe(
      's03 close-up of the fox',
    );
    expect(clipLabel({ prompt: '[sim:render=5]', label: undefined })).toBe('no prompt');
  });

  it('keeps the requested ratio with a 300 px short side, and names ratio, duration and mode', () => {
    expect(['16:9', '21:9', '4:3', '1:1', '3:4', '9:16'].map(clipSize)).toEqual([
      [534, 300],
      [700, 300],
      [400, 300],
      [300, 300],
      [300, 400],
      [300, 534],
    ]);
    expect(infoLine({ label: 'x', ratio: '16:9', seconds: 5, frames: 121, resolution: '480p', draft: true, audio: false })).toBe(
      '16:9 5S 480P DRAFT SILENT',
    );
  });
});
