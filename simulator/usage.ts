/**
 * Output geometry and token usage. The provider bills a video by its pixels and frames; the
 * simulator reproduces the order of magnitude so clients that record usage see plausible
 * numbers (Seedance 2.0 dimensions from the seed's resolution table).
 */
import type { VideoRequest } from './validation';

const DIMENSIONS: Record<string, Record<string, readonly [number, number]>> = {
  '480p': { '16:9': [864, 496], '4:3': [752, 560], '1:1': [640, 640], '3:4': [560, 752], '9:16': [496, 864], '21:9': [992, 432] },
  '720p': { '16:9': [1280, 720], '4:3': [1112, 834], '1:1': [960, 960], '3:4': [834, 1112], '9:16': [720, 1280], '21:9': [1470, 630] },
  '1080p': {
    '16:9': [1920, 1088],
    '4:3': [1664, 1248],
    '1:1': [1440, 1440],
    '3:4': [1248, 1664],
    '9:16': [1088, 1920],
    '21:9': [2176, 928],
  },
};
const DEFAULT_DIMENSIONS = [1280, 720] as const;

/** The ratio the "model" chose: `adaptive` resolves to 16:9. */
export function effectiveRatio(request: VideoRequest): string {
  return request.ratio === 'adaptive' ? '16:9' : request.ratio;
}

/** The duration the "model" chose: -1 (model's choice) resolves to 5 s. */
export function effectiveDuration(request: VideoRequest): number {
  return request.duration === undefined || request.duration < 0 ? 5 : request.duration;
}

/** Tokens a finished video costs: width x height x frames / 1024. */
export function completionTokens(request: VideoRequest): number {
  const [width, height] = DIMENSIONS[request.resolution]?.[effectiveRatio(request)] ?? DEFAULT_DIMENSIONS;
  const fps = request.framespersecond > 0 ? request.framespersecond : 24;
  const frames = request.frames ?? effectiveDuration(request) * fps;
  return Math.round((width * height * frames) / 1024);
}
