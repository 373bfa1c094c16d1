/**
 * What a shot will cost before it is submitted. The provider bills a video by its output size:
 * tokens = width × height × frames / 1024, with width × height from the seeds' "Aspect Ratio &
 * Resolution" table for the model's generation, ratio and resolution, and frames = 24 ×
 * duration + 1 (or the shot's `frames`). The tasks seed's own example checks it: 12 s, 720p,
 * 16:9 on Seedance 1.5 pro reports 260,100 = 1280 × 720 × 289 / 1024.
 *
 * Where the model decides (`ratio: adaptive`, `duration: -1`) the estimate is a range: min and
 * max over the ratios, or over the family's durations. Pure, no I/O: the workflow reserves
 * budgets with it, the CLI and the report print it. Prices are not here: see common/prices.ts.
 */
import { DEFAULT_MODELS, inferApi, type ApiFamily, type ShotInput } from './shot';

/** The two columns of the seeds' size table. */
export const MODEL_GENERATIONS = ['seedance-1.0', 'seedance-1.5+'] as const;
export type ModelGeneration = (typeof MODEL_GENERATIONS)[number];

/** Seedance 1.0 (pro, lite) has its own sizes; 1.5 pro, 2.0 and 2.0 fast share the other column. */
export function modelGeneration(model: string): ModelGeneration {
  return /seedance-1-0/i.test(model) ? 'seedance-1.0' : 'seedance-1.5+';
}

export const SIZE_RATIOS = ['16:9', '4:3', '1:1', '3:4', '9:16', '21:9'] as const;
export type SizeRatio = (typeof SIZE_RATIOS)[number];
export const SIZE_RESOLUTIONS = ['480p', '720p', '1080p'] as const;
export type SizeResolution = (typeof SIZE_RESOLUTIONS)[number];

type SizeTable = Record<SizeResolution, Record<SizeRatio, readonly [number, number]>>;

/** The seeds' table (docs/provider/seeds/, "Aspect Ratio & Resolution"): width × height in pixels. */
export const OUTPUT_SIZES: Record<ModelGeneration, SizeTable> = {
  'seedance-1.0': {
    '480p': { '16:9': [864, 480], '4:3': [736, 544], '1:1': [640, 640], '3:4': [544, 736], '9:16': [480, 864], '21:9': [960, 416] },
    '720p': { '16:9': [1248, 704], '4:3': [1120, 832], '1:1': [960, 960], '3:4': [832, 1120], '9:16': [704, 1248], '21:9': [1504, 640] },
    '1080p': {
      '16:9': [1920, 1088],
      '4:3': [1664, 1248],
      '1:1': [1440, 1440],
      '3:4': [1248, 1664],
      '9:16': [1088, 1920],
      '21:9': [2176, 928],
    },
  },
  'seedance-1.5+': {
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
  },
};

/** What the provider uses when a shot leaves them out (the simulator assumes the same). */
export const DEFAULT_RESOLUTION: SizeResolution = '720p';
export const DEFAULT_RATIO: SizeRatio = '16:9';
export const DEFAULT_DURATION = 5;
export const FRAMES_PER_SECOND = 24;

/** The durations a model may choose for `duration: -1`, per family (the seeds' ranges). */
export const DURATION_RANGE: Record<ApiFamily, readonly [number, number]> = { tasks: [2, 12], predictions: [4, 15] };

/** Frames of a `duration`-second video: 24 × duration + 1 (the first frame plus 24 per second). */
export function framesFor(durationSeconds: number): number {
  return FRAMES_PER_SECOND * durationSeconds + 1;
}

/**
 * Tokens of a video of this size: width × height × frames / 1024, rounded.
 *
 * @example
 *   videoTokens(1280, 720, framesFor(12)); // 260100, the seed's example
 */
export function videoTokens(width: number, height: number, frames: number): number {
  return Math.round((width * height * frames) / 1024);
}

/** Width × height for a generation, resolution and ratio; undefined for a ratio or resolution the table has not. */
export function outputSize(generation: ModelGeneration, resolution: string, ratio: string): readonly [number, number] | undefined {
  return (OUTPUT_SIZES[generation] as Record<string, Record<string, readonly [number, number]>>)[resolution]?.[ratio];
}

export interface TokenRange {
  min: number;
  max: number;
}

/** One shot's estimate: its model (prices are per model), whether it has audio, and its tokens. */
export interface ShotEstimate {
  model: string;
  api: ApiFamily;
  audio: boolean;
  tokens: TokenRange;
}

/** The fields of a shot the estimate reads (a staged shot, a file shot or renderVideo's shot). */
export type EstimableShot = Pick<ShotInput, 'api' | 'model' | 'ratio' | 'resolution' | 'duration' | 'frames' | 'generate_audio'>;

/**
 * A shot's tokens, as a range where the model decides the ratio (`adaptive`) or the duration
 * (`-1`); `min === max` otherwise.
 *
 * @example
 *   estimateShot({ model: 'doubao-seedance-1-5-pro-251215', duration: 12, resolution: '720p', ratio: '16:9' }).tokens;
 *   // { min: 260100, max: 260100 }
 */
export function estimateShot(shot: EstimableShot): ShotEstimate {
  const api = shot.api ?? inferApi(shot.model);
  const model = shot.model ?? DEFAULT_MODELS[api];
  const generation = modelGeneration(model);
  const resolution = shot.resolution ?? DEFAULT_RESOLUTION;
  const ratio = shot.ratio ?? DEFAULT_RATIO;
  const ratios: readonly string[] = ratio === 'adaptive' ? SIZE_RATIOS : [ratio];
  const pixels = ratios.map((r) => {
    const size = outputSize(generation, resolution, r) ?? outputSize(generation, DEFAULT_RESOLUTION, DEFAULT_RATIO);
    return (size as readonly [number, number])[0] * (size as readonly [number, number])[1];
  });
  let frames: [number, number];
  if (shot.frames !== undefined && shot.frames !== null) frames = [shot.frames, shot.frames];
  else if (shot.duration === -1) {
    const [lo, hi] = DURATION_RANGE[api];
    frames = [framesFor(lo), framesFor(hi)];
  } else {
    const d = framesFor(shot.duration ?? DEFAULT_DURATION);
    frames = [d, d];
  }
  return {
    model,
    api,
    audio: shot.generate_audio !== false,
    tokens: { min: videoTokens(Math.min(...pixels), 1, frames[0]), max: videoTokens(Math.max(...pixels), 1, frames[1]) },
  };
}

/** Sum of ranges. */
export function addRanges(ranges: readonly TokenRange[]): TokenRange {
  return ranges.reduce((a, r) => ({ min: a.min + r.min, max: a.max + r.max }), { min: 0, max: 0 });
}

/** Share of the estimate by which actual usage may differ before the report flags the shot. */
export const ESTIMATE_TOLERANCE = 0.1;

/**
 * Whether `actual` tokens differ from the estimate by more than {@link ESTIMATE_TOLERANCE}: below
 * 90% of its min or above 110% of its max.
 */
export function offEstimate(actual: number, estimate: TokenRange): boolean {
  return actual < estimate.min * (1 - ESTIMATE_TOLERANCE) || actual > estimate.max * (1 + ESTIMATE_TOLERANCE);
}
