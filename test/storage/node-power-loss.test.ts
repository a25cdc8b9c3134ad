import { expect } from 'chai';
import { EMPTY_CONF } from '../../storage/lmdb-codec';
import { openNodeStorage, type NodeStorage } from '../../storage/node-storage';
import { CrashableFiles, seeded } from './crash-files';
import { changesAt, entryData, expectedKeyspace, workloadEntry } from './crash-workload';
import { tempDir } from './helpers';

/**
 * Power loss under the node storage: the Raft log on a simulated disk that
 * loses (or tears) everything written since its last fdatasync
 * (crash-files.ts), the keyspace copy and hard state in a real LMDB (which
 * keeps what it committed). The workload writes as the driver does (entries
 * in their own batches; keyspace flushes of entries already durable; the
 * commit with the flushes; compactions; a new term overwriting unapplied
 * entries each round). After each cut: nothing acknowledged is lost, every
 * entry reads back intact, the keyspace holds exactly its applied index, and
 * the stored commit claims nothing the log lost.
 */
const SEED = Number(process.env.POWER_LOSS_SEED ?? Date.now() % 1_000_000);
const ROUNDS = Number(process.env.POWER_LOSS_ROUNDS ?? 40);

describe('node storage power loss (log on a simulated disk, keyspace in LMDB)', function () {
  this.timeout(120_000);

  it(`loses nothing acknowledged over ${ROUNDS} power cuts (seed ${SEED})`, async () => {
    const { dir, remove } = tempDir('raftcache-powerloss-');
    const rng = seeded(SEED || 1);
    const pick = (n: number): number => Math.floor(rng() * n);
    let files = new CrashableFiles();
    let torn = 0;
    try {
      for (let round = 1; round <= ROUNDS; round++) {
        const label = `round ${round} (seed ${SEED})`;
        const s: NodeStorage = await openNodeStorage(dir, { logFiles: files, segmentBytes: 4096 + pick(8192) });
        const { log, keyspace } = s;
        const term = round;
        let applied = keyspace.appliedIndex();
        let durable = log.lastIndex();
        let ackedLast = 0;
        let ackedApplied = applied;
        let next = Math.max(applied + 1, log.lastIndex() - 2, log.firstIndex());
        durable = Math.min(durable, next - 1);
        const pending: Array<Promise<void>> = [];
        for (let step = 0, steps = 5 + pick(40); step < steps; step++) {
          const count = 1 + pick(5);
          const entries = Array.from({ length: count }, (_, i) => workloadEntry(next + i, term));
          next += count;
          const last = next - 1;
          const w = s.writeBatch({ entries, hardState: { term, vote: 1, commit: durable } }).then(() => {
            durable = Math.max(durable, last);
            ackedLast = Math.max(ackedLast, last);
          });
          pending.push(w.catch(() => undefined));
          const applyTo = Math.min(durable, applied + 1 + pick(6));
          if (applyTo > applied && pick(3) === 0) {
            const changes = [];
            for (let i = applied + 1; i <= applyTo; i++) changes.push(...changesAt(i));
            applied = applyTo;
            const meta = { index: applyTo, term: log.term(applyTo) ?? term, conf: EMPTY_CONF };
            // A follower's core may know a commit index past what its log has synced (the leader's,
            // capped by the entries it just received): the store must not claim it.
            const f = s.writeBatch({ hardState: { term, vote: 1, commit: next - 1 }, keyspace: { changes, meta } }).then(() => {
              ackedApplied = Math.max(ackedApplied, applyTo);
            });
            pending.push(f.catch(() => undefined));
          }
          const durableApplied = keyspace.appliedIndex();
          if (pick(8) === 0 && durableApplied > log.firstIndex() + 20) {
            const upTo = durableApplied - pick(10);
            pending.push(log.compact(upTo, { index: upTo, term: log.term(upTo)!, conf: EMPTY_CONF }).catch(() => undefined));
          }
          const r = rng();
          if (r < 0.3) await w.catch(() => undefined);
          else if (r < 0.5) await new Promise((resolve) => setImmediate(resolve));
        }
        for (let spin = pick(30); spin > 0; spin--) await Promise.resolve();
        // The cut: the log's disk keeps what was synced (torn at random); what LMDB committed stays.
        const tear = rng() < 0.75;
        if (tear) torn++;
        const lastAcked = ackedLast;
        const appliedAcked = ackedApplied;
        files = files.crash(tear ? rng : undefined);
        await Promise.all(pending);
        await s.close();

        const again = await openNodeStorage(dir, { logFiles: files });
        try {
          const first = again.log.firstIndex();
          const last = again.log.lastIndex();
          const got = again.keyspace.appliedIndex();
          expect(last, `${label}: acknowledged entries lost`).to.be.at.least(lastAcked);
          expect(got, `${label}: acknowledged keyspace flush lost`).to.be.at.least(appliedAcked);
          expect(last, `${label}: the keyspace is applied beyond the log`).to.be.at.least(got);
          expect(first - 1, `${label}: log compacted beyond the keyspace`).to.be.at.most(got);
          expect(again.stable.hardState().commit, `${label}: stored commit beyond the log`).to.be.at.most(last);
          for (let lo = first; lo <= last; ) {
            for (const e of again.log.entries(lo, last + 1, 1 << 20)) {
              expect(Buffer.from(e.data).equals(entryData(lo, e.term)), `${label}: entry ${lo} is torn`).to.equal(true);
              lo++;
            }
          }
          const actual = new Map<string, string>();
          for (const { key, value } of again.keyspace.records()) actual.set(Buffer.from(key).toString(), Buffer.from(value).toString());
          expect(actual, `${label}: keyspace does not match applied index ${got}`).to.deep.equal(expectedKeyspace(got));
        } finally {
          await again.close();
        }
      }
      expect(torn).to.be.greaterThan(0);
    } finally {
      remove();
    }
  });
});
