/**
 * ffmpeg for the report: a first-frame thumbnail per video and a contact sheet of them.
 *
 * The binary comes from @ffmpeg-installer/ffmpeg, whose per-platform packages carry it inside
 * the registry tarball (nothing is downloaded at install time). FFMPEG_PATH (read by the
 * configuration, common/config.ts, and passed in as the report's `ffmpegPath`) overrides it.
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';

/** Thumbnails are this wide (height follows the video's aspect ratio, rounded to even). */
export const THUMB_WIDTH = 320;
/** A contact sheet holds at most this many tiles; the page says so when there are more. */
export const MAX_SHEET_TILES = 200;

const THUMB_TIMEOUT_MS = 120_000;
const SHEET_TIMEOUT_MS = 300_000;

/**
 * Which ffmpeg to run: the configured one (FFMPEG_PATH), else the one shipped by
 * @ffmpeg-installer/ffmpeg. Throws with the reason when there is none.
 */
export function resolveFfmpegPath(configured?: string): string {
  if (configured) return configured;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
  } catch (err) {
    throw new Error(
      `no ffmpeg: @ffmpeg-installer/ffmpeg has no binary for ${process.platform}-${process.arch} (${String(err)}); set FFMPEG_PATH`,
    );
  }
}

export class FfmpegError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'FfmpegError';
  }
}

export interface RunOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Runs ffmpeg; resolves with its stderr (where it logs), rejects with FfmpegError. */
export function runFfmpeg(ffmpeg: string, args: string[], opts: RunOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      ffmpeg,
      ['-nostdin', '-hide_banner', '-nostats', '-y', ...args],
      { timeout: opts.timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024, signal: opts.signal, encoding: 'utf8' },
      (err, _stdout, stderr) => {
        if (!err) return resolve(stderr);
        const code = (err as { code?: unknown }).code;
        const why =
          (err as { killed?: boolean }).killed && err.name !== 'AbortError'
            ? `timed out after ${opts.timeoutMs} ms`
            : err.name === 'AbortError'
              ? 'cancelled'
              : typeof code === 'number'
                ? `exit code ${code}`
                : err.message;
        reject(new FfmpegError(`ffmpeg failed (${why}): ${lastLine(stderr)}`, stderr));
      },
    );
  });
}

/**
 * Options before every `-i`: the input is read with the one demuxer it should need and
 * through the file protocol only. Without them ffmpeg probes the format, and a hostile
 * "video" (an HLS playlist, an ffconcat list, an SDP file...) can make it open other local
 * files or fetch URLs; with them such a file is just an invalid MP4.
 */
export const VIDEO_INPUT = ['-protocol_whitelist', 'file', '-f', 'mp4'] as const;
/** The same for the contact sheet's tiles: JPEG files (made here, or stored by an earlier run). */
export const JPEG_INPUT = ['-protocol_whitelist', 'file', '-f', 'jpeg_pipe'] as const;

/** A local path as ffmpeg must read it: through the file protocol, whatever characters it holds. */
function localInput(file: string): string {
  return `file:${path.resolve(file)}`;
}

export interface Thumbnail {
  /** Seconds, when ffmpeg could read the container's duration. */
  durationSeconds?: number;
}

/**
 * The first frame of `video`, scaled to THUMB_WIDTH wide, as a JPEG at `output`. Rejects with
 * FfmpegError when ffmpeg cannot decode the file (not a video, truncated, random bytes).
 */
export async function extractThumbnail(ffmpeg: string, video: string, output: string, signal?: AbortSignal): Promise<Thumbnail> {
  const stderr = await runFfmpeg(
    ffmpeg,
    [
      '-ss',
      '0',
      ...VIDEO_INPUT,
      '-i',
      localInput(video),
      '-map',
      '0:v:0',
      '-frames:v',
      '1',
      '-vf',
      `scale=${THUMB_WIDTH}:-2`,
      '-q:v',
      '3',
      '-f',
      'image2',
      '-update',
      '1',
      localInput(output),
    ],
    { timeoutMs: THUMB_TIMEOUT_MS, ...(signal ? { signal } : {}) },
  );
  const written = await stat(output).catch(() => null);
  if (!written || written.size === 0) throw new FfmpegError(`ffmpeg wrote no frame: ${lastLine(stderr)}`, stderr);
  const durationSeconds = parseDuration(stderr);
  return durationSeconds !== undefined ? { durationSeconds } : {};
}

/** `Duration: 00:00:02.00,` from ffmpeg's input description, in seconds. */
export function parseDuration(stderr: string): number | undefined {
  const m = /Duration:\s*(\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(stderr);
  if (!m) return undefined;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

export interface SheetLayout {
  columns: number;
  rows: number;
  cellWidth: number;
  cellHeight: number;
}

/** A grid for `tiles` thumbnails: up to 6 columns of 320×180 cells, or 10 of 192×108 for large sheets. */
export function sheetLayout(tiles: number): SheetLayout {
  const large = tiles > 36;
  const columns = Math.max(1, Math.min(tiles, large ? 10 : 6));
  return {
    columns,
    rows: Math.max(1, Math.ceil(tiles / columns)),
    cellWidth: large ? 192 : 320,
    cellHeight: large ? 108 : 180,
  };
}

/**
 * Tiles `images` (JPEG files, any sizes; at most MAX_SHEET_TILES) into one JPEG at `output`,
 * row by row: each image is fitted into a fixed cell (letterboxed), the cells are
 * concatenated into a stream of frames, and the `tile` filter lays them out.
 */
export async function makeContactSheet(ffmpeg: string, images: string[], output: string, signal?: AbortSignal): Promise<SheetLayout> {
  if (images.length === 0) throw new Error('a contact sheet needs at least one image');
  if (images.length > MAX_SHEET_TILES) throw new Error(`a contact sheet holds at most ${MAX_SHEET_TILES} images`);
  const layout = sheetLayout(images.length);
  const { cellWidth: w, cellHeight: h } = layout;
  const inputs = images.flatMap((file) => [...JPEG_INPUT, '-i', localInput(file)]);
  const cells = images
    .map(
      (_, i) =>
        `[${i}:v]scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2:color=0x111111,setsar=1,format=yuvj420p[c${i}]`,
    )
    .join(';');
  const labels = images.map((_, i) => `[c${i}]`).join('');
  const graph = `${cells};${labels}concat=n=${images.length}:v=1:a=0,tile=${layout.columns}x${layout.rows}:padding=6:margin=6:color=0xf6f7f9[sheet]`;
  await runFfmpeg(
    ffmpeg,
    [
      ...inputs,
      '-filter_complex',
      graph,
      '-map',
      '[sheet]',
      '-frames:v',
      '1',
      '-q:v',
      '3',
      '-f',
      'image2',
      '-update',
      '1',
      localInput(output),
    ],
    {
      timeoutMs: SHEET_TIMEOUT_MS,
      ...(signal ? { signal } : {}),
    },
  );
  const written = await stat(output).catch(() => null);
  if (!written || written.size === 0) throw new FfmpegError('ffmpeg wrote no contact sheet', '');
  return layout;
}

function lastLine(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  return (lines[lines.length - 1] ?? 'no output').slice(0, 300);
}
