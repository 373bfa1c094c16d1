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

/** The real sample video (2 s, 160x90, H.264 + AAC, about 16 KB). */
export function sampleVideo(): Buffer {
  return asset('sample.mp4');
}

/**
 * A 534x300 PNG (colour bars, about 3 KB), served as every task's last frame. Its sides are
 * within the provider's 300-6000 px input rule, so tests also use it as an input image.
 */
export function lastFramePng(): Buffer {
  return asset('frame.png');
}
