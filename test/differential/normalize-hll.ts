import type { Outcome, Pair } from './normalize';
import { quote, show } from './resp';

/**
 * PFCOUNT on one key. Redis's PFCOUNT stores the count it computed in the
 * value's cached-cardinality bytes (8..15 of the "HYLL" header) and turns
 * the value raw (dbUnshareStringValue): a read that writes. raftcache serves
 * reads on any node outside the Raft log, so its PFCOUNT never stores
 * (server/commands/hyperloglog.ts). That is the one thing that must differ.
 *
 * The reply is compared strictly. Then, when Redis holds a valid HLL at the
 * key, raftcache's value must equal Redis's in every byte except 8..15 (else
 * a mismatch is reported), and Redis's cache bytes are copied into raftcache
 * with SETRANGE (which also leaves it raw, as Redis's PFCOUNT does), so both
 * hold the same bytes again and the rest of the sequence is compared exactly:
 * later GETs, and PFCOUNTs answered from that cache after SETRANGE/APPEND
 * edited the registers (Redis trusts a valid cache without looking).
 */
export async function pfcount(p: Pair, argv: string[]): Promise<Outcome> {
  const [a, b] = await Promise.all([p.rc.call(argv), p.redis.call(argv)]);
  const out: Outcome = { same: show(a) === show(b), rc: show(a), redis: show(b) };
  // INVALIDOBJ too: Redis unshared (made raw) the value before it found the registers corrupt.
  const unshared = b.t === ':' || (b.t === '-' && b.s.startsWith('INVALIDOBJ'));
  if (!out.same || argv.length !== 2 || !unshared) return out;
  const key = argv[1];
  const [ga, gb] = await Promise.all([p.rc.call(['GET', key]), p.redis.call(['GET', key])]);
  if (gb.t !== '$' || gb.b.length < 16 || gb.b.toString('latin1', 0, 4) !== 'HYLL') return out;
  if (ga.t !== '$' || ga.b.length !== gb.b.length || !ga.b.subarray(0, 8).equals(gb.b.subarray(0, 8)) || !ga.b.subarray(16).equals(gb.b.subarray(16))) {
    return { same: false, rc: show(ga), redis: show(gb), note: `value of ${quote(key)} after PFCOUNT differs outside the cache bytes 8..15` };
  }
  await p.rc.call(['SETRANGE', key, '8', gb.b.subarray(8, 16).toString('latin1')]);
  return { ...out, note: "Redis's cached count copied into raftcache's value (PFCOUNT stores it only in Redis)" };
}
