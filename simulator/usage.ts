/**
 * Output geometry and token usage, as the provider bills them: tokens = width × height ×
 * frames / 1024, frames = 24 × duration + 1 (or the requested `frames`), width × height from
 * the seeds' "Aspect Ratio & Resolution" table for the model's generation (Seedance 1.0 has its
 * own column; 1.5 pro, 2.0 and 2.0 fast share the other). The tasks seed's example: 12 s, 720p,
 * 16:9 on Seedance 1.5 pro reports 260,100 = 1280 × 720 × 289 / 1024.
 *
 * The simulator stands in for the provider, so it keeps its own copy of the table rather than
 * the product's estimator (common/estimate.ts): test/unit/estimate.test.ts checks the two agree.
 */
import type { VideoRequest } from './validation';

/** What usage depends on: the geometry of a request, nothing else. */
type Geometry = Pick<VideoRequest, 'model' | 'resolution' | 'ratio' | 'duration' | 'frames' | 'framespersecond'>;

type Sizes = Record<string, Record<string, readonly [number, number]>>;

const SEEDANCE_1_0: Sizes = {
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
};
const SEEDANCE_1_5_AND_2_0: Sizes = {
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
/** The simulator's size table by model generation, exported for the test that compares it with the estimator's. */
export const SIMULATED_SIZES = { 'seedance-1.0': SEEDANCE_1_0, 'seedance-1.5+': SEEDANCE_1_5_AND_2_0 } as const;
const DEFAULT_DIMENSIONS = [1280, 720] as const;

/** Width × height of a video of this model, resolution and ratio (16:9 720p for anything the table lacks). */
export function outputDimensions(model: string, resolution: string, ratio: string): readonly [number, number] {
  const table = /seedance-1-0/i.test(model) ? SEEDANCE_1_0 : SEEDANCE_1_5_AND_2_0;
  return table[resolution]?.[ratio] ?? DEFAULT_DIMENSIONS;
}

/** The ratio the "model" chose: `adaptive` resolves to 16:9. */
export function effectiveRatio(request: Pick<VideoRequest, 'ratio'>): string {
  return request.ratio === 'adaptive' ? '16:9' : request.ratio;
}

/** The duration the "model" chose: -1 (model's choice) resolves to 5 s. */
export function effectiveDuration(request: Pick<VideoRequest, 'duration'>): number {
  return request.duration === undefined || request.duration < 0 ? 5 : request.duration;
}

/** Tokens a finished video costs: width × height × frames / 1024, frames = fps × duration + 1 unless requested. */
export function completionTokens(request: Geometry): number {
  const [width, height] = outputDimensions(request.model, request.resolution, effectiveRatio(request));
  const fps = request.framespersecond > 0 ? request.framespersecond : 24;
  const frames = request.frames ?? effectiveDuration(request) * fps + 1;
  return Math.round((width * height * frames) / 1024);
}
