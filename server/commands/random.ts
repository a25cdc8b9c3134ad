/**
 * Randomness a replicated state machine may use: SPOP, SRANDMEMBER,
 * HRANDFIELD, ZRANDMEMBER (and Lua's math.random) at apply time draw from a
 * generator seeded by the log entry, so every node picks the same members.
 * Reads served to one client on one node use the node's own generator: they
 * change nothing, and a client asking twice expects two draws.
 */

/**
 * mulberry32: a small seeded generator of uniform unsigned 32-bit integers.
 * Pure 32-bit arithmetic, so a seed gives the same sequence on every node and
 * run (replicated draws, LOLWUT's pictures, the tests' seeded inputs).
 */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** mulberry32 over a seed mixed from the log index and a per-entry call counter; uniform [0, 1). */
export function entryRandom(index: number, call: number): () => number {
  const next = mulberry32(Math.imul(index >>> 0, 0x9e3779b1) ^ Math.imul((index / 0x100000000) >>> 0, 0x85ebca6b) ^ Math.imul(call + 1, 0xc2b2ae35));
  return () => next() / 4294967296;
}
