import type { RandomSource } from './types';

/**
 * A small seeded PRNG (SplitMix32 mixing over a Weyl sequence) for election
 * jitter: the same seed gives the same elections, which is what tests and
 * the simulator replay. The driver may seed it from anything (node id, time).
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  return {
    intn(n: number): number {
      if (!(n >= 1)) throw new RangeError(`intn: n must be >= 1, got ${n}`);
      return next() % Math.floor(n);
    },
  };
}
