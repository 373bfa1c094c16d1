/**
 * "Not unbounded" for property-based tests: each generated input must finish well within a
 * generous bound (a noisy 2-core CI machine), so a quadratic regex or a hang fails the run.
 */
export const BOUND_MS = 1000;

export function timed<T>(fn: () => T, boundMs = BOUND_MS): T {
  const t0 = performance.now();
  const out = fn();
  const ms = performance.now() - t0;
  if (ms > boundMs) throw new Error(`took ${Math.round(ms)} ms`);
  return out;
}
