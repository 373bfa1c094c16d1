/**
 * Small helpers shared by the benchmark: paths, logging, statistics, seeded randomness and
 * render-time distributions. No product code depends on anything in bench/.
 */
import path from 'node:path';
import { mulberry32, type Prng } from '../../simulator/prng';

export const ROOT = path.resolve(__dirname, '..', '..');
export const BENCH_DIR = path.join(ROOT, 'bench');
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');
/** Scratch files of this invocation (workflow bundle, storyboard files); bench/results/tmp/ is gitignored. */
export const TMP_DIR = path.join(RESULTS_DIR, 'tmp', `run-${process.pid}`);

const started = Date.now();

/** Progress goes to stderr, so stdout carries only the final table. */
export function log(message: string): void {
  const t = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${t}s] ${message}\n`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Linear-interpolated percentile (p in 0..100); NaN for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (rank - lo);
}

export function mean(values: readonly number[]): number {
  return values.length ? values.reduce((s, v) => s + v, 0) / values.length : NaN;
}

export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export const MiB = 1024 * 1024;

/** A render-time distribution, in milliseconds of real (unscaled) time. */
export type Distribution =
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  /** Log-normal with this median and sigma, truncated (by resampling) to [minMs, maxMs]. */
  | { kind: 'lognormal'; medianMs: number; sigma: number; minMs: number; maxMs: number };

export function describeDistribution(d: Distribution): string {
  const s = (ms: number) => (ms >= 60_000 ? `${round(ms / 60_000, 1)} min` : `${round(ms / 1000, 2)} s`);
  switch (d.kind) {
    case 'fixed':
      return `fixed ${s(d.ms)}`;
    case 'uniform':
      return `uniform ${s(d.minMs)}-${s(d.maxMs)}`;
    case 'lognormal':
      return `log-normal, median ${s(d.medianMs)}, sigma ${d.sigma}, within ${s(d.minMs)}-${s(d.maxMs)}`;
  }
}

/** `count` render times drawn from `d` with a seeded generator: the same seed, the same shots. */
export function sampleRenderTimes(d: Distribution, count: number, seed = 42): number[] {
  const rng: Prng = mulberry32(seed);
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push(Math.round(draw(d, rng)));
  return out;
}

function draw(d: Distribution, rng: Prng): number {
  switch (d.kind) {
    case 'fixed':
      return d.ms;
    case 'uniform':
      return d.minMs + rng() * (d.maxMs - d.minMs);
    case 'lognormal':
      for (;;) {
        // Box-Muller; 1 - rng() keeps the logarithm finite.
        const z = Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
        const v = d.medianMs * Math.exp(d.sigma * z);
        if (v >= d.minMs && v <= d.maxMs) return v;
      }
  }
}

/** Runs `fn` over `items` with at most `limit` in flight: the promise pool of the baseline. */
export async function promisePool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

/** A short id for this invocation: task queues, storyboard ids and storage prefixes carry it. */
export function runId(): string {
  const d = new Date();
  const stamp = d.toISOString().replace(/\D/g, '').slice(4, 14);
  return `${stamp}-${Math.random().toString(36).slice(2, 6)}`;
}
