/**
 * The deterministic random source behind Lua's math.random. Scripts run at
 * apply time on every node, so the generator is seeded from the log index:
 * every node draws the same numbers for the same entry (Redis 7 likewise
 * reseeds per run so that scripts replicate). mulberry32: small, fast, and
 * plenty for scripts; not cryptographic.
 */
export class ScriptRandom {
  private state: number;

  constructor(seed: number) {
    this.state = 0;
    this.seed(seed);
  }

  /** math.randomseed(x): any number, folded to 32 bits (both halves count). */
  seed(x: number): void {
    const v = Number.isFinite(x) ? Math.trunc(x) : 0;
    const lo = v % 2 ** 32 >>> 0;
    const hi = Math.floor(v / 2 ** 32) >>> 0;
    this.state = (lo ^ Math.imul(hi, 0x9e3779b9) ^ 0x6d2b79f5) >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [lo, hi] (lo <= hi). */
  between(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
}
