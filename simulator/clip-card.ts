/**
 * The picture of a labelled clip (clips.ts): a test pattern naming the shot, drawn in memory as
 * RGB pixels. Colour bars along the top, a background whose hue follows the label (so clips tell
 * apart even as thumbnails), the label in large letters and a line with ratio, duration,
 * resolution and mode. ffmpeg then loops it for the clip's duration with a moving box.
 */
import { createHash } from 'node:crypto';
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphPixel } from './bitmap-font';

/** What a labelled clip shows and how long it lasts; equal specs make byte-equal clips. */
export interface ClipSpec {
  /** The shot's name as the request carries it (clip-label.ts). */
  label: string;
  /** The ratio the video has (`adaptive` already resolved). */
  ratio: string;
  /** Its length in seconds, as drawn. */
  seconds: number;
  /** Its number of frames at 24 fps: 24 × duration + 1, as the provider counts them (notes.md, "Usage and cost"), or the requested `frames`. */
  frames: number;
  /** The requested resolution, drawn only: the clip itself stays small. */
  resolution: string;
  draft: boolean;
  /** Whether it has a sound track. */
  audio: boolean;
}

/**
 * The clip's size: the requested ratio with a 300 px short side, the smallest that passes the
 * provider's 300-6000 px input rule (notes.md, "Inputs"), so that its last frame can start the
 * next shot. Small on purpose: the real sizes (usage.ts) would cost ffmpeg time for nothing.
 */
export function clipSize(ratio: string): [width: number, height: number] {
  const match = /^(\d+):(\d+)$/.exec(ratio);
  const w = Number(match?.[1] ?? 16);
  const h = Number(match?.[2] ?? 9);
  const even = (n: number): number => Math.max(2, Math.round(n / 2) * 2);
  return w >= h ? [even((SHORT_SIDE * w) / h), SHORT_SIDE] : [SHORT_SIDE, even((SHORT_SIDE * h) / w)];
}
const SHORT_SIDE = 300;

const BARS: ReadonlyArray<readonly [number, number, number]> = [
  [235, 235, 235],
  [235, 235, 16],
  [16, 235, 235],
  [16, 235, 16],
  [235, 16, 235],
  [235, 16, 16],
  [16, 16, 235],
];
const LINE_CHARS = 16;
const MAX_LINES = 3;

/** The card's pixels, `width × height × 3` bytes of RGB. */
export function renderCard(spec: ClipSpec, width: number, height: number): Buffer {
  const rgb = Buffer.alloc(width * height * 3);
  const background = labelColour(spec.label);
  const barsHeight = Math.floor(height / 6);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const colour = y < barsHeight ? (BARS[Math.floor((x * BARS.length) / width)] ?? background) : background;
      rgb.set(colour, (y * width + x) * 3);
    }
  }
  const lines = wrap(spec.label);
  const info = infoLine(spec);
  const margin = Math.floor(Math.min(width, height) / 20);
  const widest = Math.max(...lines.map((l) => l.length), 1);
  const labelScale = Math.max(
    1,
    Math.min(Math.floor((width - 2 * margin) / (widest * 6)), Math.floor((height - barsHeight) / 2 / (lines.length * 9))),
  );
  const infoScale = Math.max(1, Math.min(Math.ceil(labelScale / 2), Math.floor((width - 2 * margin) / (info.length * 6))));
  let y = barsHeight + margin;
  for (const line of lines) {
    drawText(rgb, width, height, line, margin, y, labelScale);
    y += 9 * labelScale;
  }
  drawText(rgb, width, height, info, margin, y + 2 * infoScale, infoScale);
  return rgb;
}

/** A binary PPM (P6) of the pixels: the simplest picture file ffmpeg reads. */
export function ppm(width: number, height: number, rgb: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`P6\n${width} ${height}\n255\n`, 'latin1'), rgb]);
}

/** `16:9 5S 720P`, then `DRAFT` and `SILENT` when they apply. */
export function infoLine(spec: ClipSpec): string {
  const seconds = Number.isInteger(spec.seconds) ? String(spec.seconds) : spec.seconds.toFixed(2);
  return [spec.ratio, `${seconds}s`, spec.resolution, ...(spec.draft ? ['draft'] : []), ...(spec.audio ? [] : ['silent'])]
    .join(' ')
    .toUpperCase();
}

/** The label in at most 3 lines of 16 characters, cut at spaces (longer words are split). */
function wrap(label: string): string[] {
  const words = label
    .toUpperCase()
    .split(/\s+/)
    .filter(Boolean)
    .flatMap((word) => word.match(new RegExp(`.{1,${LINE_CHARS}}`, 'gu')) ?? []);
  const lines: string[] = [];
  let current = '';
  for (const word of words) {
    if (current === '') current = word;
    else if (current.length + 1 + word.length <= LINE_CHARS) current = `${current} ${word}`;
    else {
      lines.push(current);
      current = word;
    }
  }
  if (current !== '') lines.push(current);
  if (lines.length <= MAX_LINES) return lines;
  return [...lines.slice(0, MAX_LINES - 1), `${(lines[MAX_LINES - 1] ?? '').slice(0, LINE_CHARS - 2)}..`];
}

/** A dark, saturated colour picked by the label's hash (hue from the hash, fixed chroma). */
function labelColour(label: string): [number, number, number] {
  const hue = createHash('sha256').update(label).digest().readUInt16BE(0) % 360;
  const c = 110;
  const x = Math.round(c * (1 - Math.abs(((hue / 60) % 2) - 1)));
  const sectors: ReadonlyArray<readonly [number, number, number]> = [
    [c, x, 0],
    [x, c, 0],
    [0, c, x],
    [0, x, c],
    [x, 0, c],
    [c, 0, x],
  ];
  const [r, g, b] = sectors[Math.floor(hue / 60)] ?? [c, 0, 0];
  return [r + 20, g + 20, b + 20];
}

function drawText(rgb: Buffer, width: number, height: number, text: string, left: number, top: number, scale: number): void {
  [...text].forEach((char, i) => {
    for (let gy = 0; gy < GLYPH_HEIGHT; gy++) {
      for (let gx = 0; gx < GLYPH_WIDTH; gx++) {
        if (!glyphPixel(char, gx, gy)) continue;
        for (let dy = 0; dy < scale; dy++) {
          for (let dx = 0; dx < scale; dx++) {
            const x = left + (i * (GLYPH_WIDTH + 1) + gx) * scale + dx;
            const y = top + gy * scale + dy;
            if (x < width && y < height) rgb.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
          }
        }
      }
    }
  });
}
