/** Binary assets served as outputs, read once from `simulator/assets/`. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// From source (ts-jest, tsx) the assets sit next to this file; from the compiled build
// (dist/simulator/) they are not copied, so fall back to the repository's copy.
const ASSET_DIRS = [join(__dirname, 'assets'), join(__dirname, '..', '..', 'simulator', 'assets')];

/** Absolute path of a bundled asset; throws when no candidate directory holds it. */
export function assetPath(name: string): string {
  for (const dir of ASSET_DIRS) {
    const candidate = join(dir, name);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`simulator asset ${name} not found in ${ASSET_DIRS.join(' or ')}`);
}

const cache = new Map<string, Buffer>();

function asset(name: string): Buffer {
  let bytes = cache.get(name);
  if (bytes === undefined) {
    bytes = readFileSync(assetPath(name));
    cache.set(name, bytes);
  }
  return bytes;
}

/**
 * The real sample video served by default (2 s, 534x300, 24 fps, H.264 + AAC, about 20 KB): colour
 * bars with a white box moving left to right, so that its first and last frames differ. The short
 * side is 300 px so that its last frame passes the provider's 300-6000 px input rule (notes.md,
 * "Inputs") and can start the next shot. Made once with the ffmpeg of @ffmpeg-installer:
 *   ffmpeg -loop 1 -framerate 24 -t 2 -i bars.png -f lavfi -i sine=frequency=440:duration=2
 *     -f lavfi -i color=c=white:s=24x20:r=24:d=2
 *     -filter_complex "[0:v][2:v]overlay=x='(W-w)*t/2':y=H-h-8,format=yuv420p[v]" -map "[v]" -map 1:a
 *     -t 2 -c:v libx264 -profile:v baseline -preset veryfast -crf 32 -ac 1 -c:a aac -b:a 32k
 *     -movflags +faststart sample.mp4
 * (bars.png: the 534x300 colour bars that frame.png held before, in git history).
 */
export function sampleVideo(): Buffer {
  return asset('sample.mp4');
}

/**
 * The last frame of `sampleVideo()`, decoded by ffmpeg (`-i sample.mp4 -update 1 frame.png`):
 * a 534x300 PNG, about 45 KB, served as the last frame of every task that serves the sample
 * video, so that `last_frame_url` really is the last frame of the clip (notes.md, "Responses").
 * test/unit/simulator-clips.test.ts decodes both and compares. Its sides are within the
 * provider's 300-6000 px input rule, so tests also use it as an input image.
 */
export function lastFramePng(): Buffer {
  return asset('frame.png');
}
