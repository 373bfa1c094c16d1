/**
 * Binary assets served as outputs. The sample MP4 lives in `simulator/assets/` and is read
 * once; the last-frame PNG is small enough to embed.
 */
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

let sample: Buffer | undefined;

/** The real sample video (2 s, 160x90, H.264 + AAC, about 16 KB). */
export function sampleVideo(): Buffer {
  sample ??= readFileSync(assetPath('sample.mp4'));
  return sample;
}

/** A valid 16x9 PNG (test pattern), served as every task's last frame. */
export const LAST_FRAME_PNG: Buffer = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAABAAAAAJCAIAAAC0SDtlAAAACXBIWXMAAAABAAAAAQBPJcTWAAAAXklEQVR4nM2QwQ2AMAwDvQlsApvAJrAJbAKbwCZHHVGERD/9ESWSHfnyiBRFdBpuCUmhx3kRpTcQmQIQtz5AzpQBMvJHwGoUuw40oca+F6vjC+poxSxO+w0N9UDtWy8uQNAw34DQKwAAAABJRU5ErkJggg==',
  'base64',
);
