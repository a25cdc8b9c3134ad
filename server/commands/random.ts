/**
 * Randomness a replicated state machine may use: SPOP, SRANDMEMBER,
 * HRANDFIELD, ZRANDMEMBER (and Lua's math.random) at apply time draw from a
 * generator seeded by the log entry, so every node picks the same members.
 * Reads served to one client on one node use the node's own generator: they
 * change nothing, and a client asking twice expects two draws.
 */

/** mulberry32 over a seed mixed from the log index and a per-entry call counter. */
export function entryRandom(index: number, call: number): () => number {
  let s = (Math.imul(index >>> 0, 0x9e3779b1) ^ Math.imul((index / 0x100000000) >>> 0, 0x85ebca6b) ^ Math.imul(call + 1, 0xc2b2ae35)) >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
