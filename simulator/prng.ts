/** A function returning uniformly distributed numbers in [0, 1). */
export type Prng = () => number;

/**
 * mulberry32: a tiny, fast 32-bit PRNG. Not cryptographic; it exists so that a simulator run
 * with a given `randomSeed` makes the same random choices every time.
 */
export function mulberry32(seed: number): Prng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random integer in [0, bound) drawn from `rng`. */
export function randomInt(rng: Prng, bound: number): number {
  return Math.floor(rng() * bound);
}
