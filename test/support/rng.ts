import { mulberry32 } from '../../server/commands/random';

/** mulberry32 as uniform [0, 1): a small seeded generator, so a failing test or bench run replays from its seed. */
export function rng(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}
