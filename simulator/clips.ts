/**
 * Labelled clips (`clips: 'labelled'`): a small MP4 per shot, made by ffmpeg the first time a
 * task's video or last frame is downloaded, and its real last frame, decoded from that MP4.
 *
 * Cheap by construction: nothing happens at submit (benchmarks create 10,000 tasks with the
 * default `sample` clips and never reach this file); clips are cached by everything they depend on
 * (`ClipSpec`), so tasks of one shot share one; one ffmpeg runs at a time; and a clip is 300 px on
 * its short side. ffmpeg runs single-threaded with fixed settings, so a clip evicted from the
 * cache and made again is byte-equal: a task's video and last frame always match.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastFramePng, sampleVideo } from './assets';
import { clipSize, ppm, renderCard, type ClipSpec } from './clip-card';
import { CLIP_FPS as FPS } from './clip-label';

/** A clip and its last frame. */
export interface Clip {
  video: Buffer;
  /** A PNG of the clip's last frame, as ffmpeg decodes it. */
  lastFrame: Buffer;
}

const MAX_CACHED = 64;
const FFMPEG_TIMEOUT_MS = 60_000;
/** Side of the white box that crosses the picture, so that first and last frames differ. */
const BOX = 20;

/** The ffmpeg shipped by @ffmpeg-installer/ffmpeg (a dependency of the project). */
export function bundledFfmpeg(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the package is CommonJS and resolves its binary at load
  return (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
}

/**
 * Clips by spec, made one at a time, the most recently used kept. When ffmpeg cannot make a clip
 * (no binary for this platform, a timeout), that spec gets the sample clip and its last frame
 * instead, cached like a made clip so that its video and last frame still match, and the
 * failure is logged once: a demo keeps working with placeholders that do not name their shot.
 * (Only a spec evicted between its video and frame downloads, with ffmpeg failing on one of its
 * two makings and not the other, could then mismatch: a transient failure, after 64 other shots.)
 */
export class ClipCache {
  private readonly clips = new Map<string, Promise<Clip>>();
  private queue: Promise<unknown> = Promise.resolve();
  private warned = false;

  constructor(
    private readonly ffmpeg: () => string = bundledFfmpeg,
    private readonly capacity = MAX_CACHED,
    private readonly warn: (message: string) => void = (message) => console.warn(message),
  ) {}

  /** The clip of `spec`, made on first use (never rejects: see the class comment). */
  get(spec: ClipSpec): Promise<Clip> {
    const key = JSON.stringify(spec);
    const cached = this.clips.get(key);
    if (cached !== undefined) {
      this.clips.delete(key); // moved to the end: the Map's order is the recency order
      this.clips.set(key, cached);
      return cached;
    }
    const made = this.queue
      .then(() => makeClip(this.ffmpeg(), spec))
      .catch((err: unknown): Clip => {
        if (!this.warned)
          this.warn(`simulator: serving the sample clip instead of labelled ones: ${err instanceof Error ? err.message : String(err)}`);
        this.warned = true;
        return { video: sampleVideo(), lastFrame: lastFramePng() };
      });
    this.queue = made;
    this.clips.set(key, made);
    for (const oldest of this.clips.keys()) {
      if (this.clips.size <= this.capacity) break;
      this.clips.delete(oldest);
    }
    return made;
  }

  /** How many clips are cached or being made. */
  get size(): number {
    return this.clips.size;
  }
}

/** The cache every simulator of this process shares: equal specs make equal clips anyway. */
export const sharedClips = new ClipCache();

/** Makes one clip in a temporary directory: the card looped with a moving box (and a tone when it has sound). */
export async function makeClip(ffmpeg: string, spec: ClipSpec): Promise<Clip> {
  const [width, height] = clipSize(spec.ratio);
  const dir = await mkdtemp(join(tmpdir(), 'seedance-sim-clip-'));
  try {
    const card = join(dir, 'card.ppm');
    const video = join(dir, 'clip.mp4');
    const frame = join(dir, 'last.png');
    await writeFile(card, ppm(width, height, renderCard(spec, width, height)));
    const frames = Math.max(1, Math.round(spec.frames));
    const seconds = (frames / FPS).toFixed(4);
    const inputSeconds = ((frames + 1) / FPS).toFixed(4); // one frame spare: the output is cut by frame count
    const tone = 220 + (spec.label.length % 12) * 40; // a tone per label length: audible difference, nothing more
    await run(ffmpeg, [
      ...['-loop', '1', '-framerate', String(FPS), '-t', inputSeconds, '-i', `file:${card}`],
      ...['-f', 'lavfi', '-i', `color=c=white:s=${BOX}x${BOX}:r=${FPS}:d=${inputSeconds}`],
      ...(spec.audio ? ['-f', 'lavfi', '-i', `sine=frequency=${tone}:sample_rate=44100:duration=${seconds}`] : []),
      ...['-filter_complex', `[0:v][1:v]overlay=x='(W-w)*t/${seconds}':y=H-h-8,format=yuv420p[v]`, '-map', '[v]'],
      ...(spec.audio ? ['-map', '2:a', '-c:a', 'aac', '-b:a', '32k', '-ac', '1'] : ['-an']),
      ...['-frames:v', String(frames), '-c:v', 'libx264', '-preset', 'veryfast', '-crf', '32', '-threads', '1'],
      ...['-movflags', '+faststart', '-f', 'mp4', `file:${video}`],
    ]);
    // Every frame is decoded and the image overwritten each time: what stays is the last one.
    await run(ffmpeg, [
      '-f',
      'mp4',
      '-i',
      `file:${video}`,
      '-map',
      '0:v:0',
      '-update',
      '1',
      '-f',
      'image2',
      '-c:v',
      'png',
      `file:${frame}`,
    ]);
    return { video: await readFile(video), lastFrame: await readFile(frame) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function run(ffmpeg: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      ffmpeg,
      ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', ...args],
      { timeout: FFMPEG_TIMEOUT_MS, killSignal: 'SIGKILL', encoding: 'utf8', maxBuffer: 1024 * 1024 },
      (err, _stdout, stderr) => {
        if (!err) return resolve();
        const last = stderr.trim().split('\n').pop();
        reject(new Error(`ffmpeg failed making a simulated clip: ${last !== undefined && last !== '' ? last : err.message}`));
      },
    );
  });
}
