import { expect } from 'chai';
import { runSeed, type SimResult } from './cluster';
import { coreBinding } from './core-binding';
import {
  corruptEntriesToNode2,
  forgetVoteOnRestart,
  grantEveryVote,
  leaseWithoutExpiry,   loseUnsyncedTailOnRestart,
  readIndexWithoutQuorum,
} from './faulty-cores';
import type { Invariant } from './checker';
import type { CoreBinding } from './node-adapter';
import { swarmOptions, type SimOptions } from './options';
import { Prng } from './prng';

const SEEDS = Number(process.env.SIM_SEEDS ?? 500);

function summary(r: SimResult): string {
  return `seed ${r.seed}: ${r.violation?.message} (replay: npm run sim -- --seed ${r.seed} --trace)`;
}

/**
 * Runs seeds until one reports one of the `accepted` invariants. Other
 * outcomes are tolerated only when they are the core's own defensive checks
 * firing (core-error): a broken core may trip them before the checker sees
 * the damage; anything else fails the test.
 */
function expectCaught(
  binding: CoreBinding,
  seeds: number,
  accepted: Invariant[],
  tweak: (o: SimOptions) => void = () => {},
): SimResult {
  const other: string[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const options = swarmOptions(seed);
    tweak(options);
    const r = runSeed(seed, { binding, options });
    if (!r.violation) continue;
    if (accepted.includes(r.violation.invariant)) return r;
    if (r.violation.invariant !== 'core-error') expect.fail(`unexpected ${summary(r)}`);
    other.push(summary(r));
  }
  return expect.fail(`no ${accepted.join('/')} violation in ${seeds} seeds (other: ${other.length})`);
}

describe('simulator', function () {
  this.timeout(180_000);

  describe('prng', () => {
    it('replays the same stream for the same seed and differs across seeds', () => {
      const a = new Prng(42);
      const b = new Prng(42);
      const c = new Prng(43);
      const sa = Array.from({ length: 8 }, () => a.next32());
      expect(Array.from({ length: 8 }, () => b.next32())).to.deep.equal(sa);
      expect(Array.from({ length: 8 }, () => c.next32())).to.not.deep.equal(sa);
    });

    it('intn stays in range and covers it', () => {
      const r = new Prng(7);
      const seen = new Set<number>();
      for (let i = 0; i < 1000; i++) {
        const v = r.intn(5);
        expect(v).to.be.within(0, 4);
        seen.add(v);
      }
      expect(seen.size).to.equal(5);
    });
  });

  it('replays a seed exactly (same history, same stats)', () => {
    const a = runSeed(11, { binding: coreBinding });
    const b = runSeed(11, { binding: coreBinding });
    expect(b.stats).to.deep.equal(a.stats);
    expect(b.history).to.deep.equal(a.history);
  });

  it(`runs ${SEEDS} seeds without a violation, crossing every kind of fault`, () => {
    const failures: string[] = [];
    const totals = {
      elections: 0,
      crashes: 0,
      midReadyCrashes: 0,
      partitions: 0,
      confChanges: 0,
      transfers: 0,
      snapshots: 0,
      writesAcked: 0,
      readsServed: 0,
      leaseReads: 0,
    };
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = runSeed(seed, { binding: coreBinding });
      if (r.violation) failures.push(summary(r));
      for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += r.stats[k];
    }
    expect(failures).to.deep.equal([]);
    // The seeds must actually exercise the faults they claim to.
    for (const [k, v] of Object.entries(totals)) expect(v, k).to.be.greaterThan(0);
  });

  describe('catches a broken core', () => {
    it('that grants every vote: two leaders in a term, or a leader missing committed entries', () => {
      // A candidate with a stale log may win too: either invariant is the right diagnosis.
      expectCaught(grantEveryVote(coreBinding), 200, ['election-safety', 'leader-completeness']);
    });

    it('that forgets its vote on restart: two leaders in one term', () => {
      // Needs a crash between a vote and the end of that term's election: crash often, in short runs.
      expectCaught(forgetVoteOnRestart(coreBinding), 400, ['election-safety'], (o) => {
        o.crashProb = 0.2;
        o.crashMidReadyProb = 0.01;
        o.restartAfterMs = [1, 30];
        o.faultPhaseMs = 3000;
      });
    });

    it('that acknowledges entries it never made durable: a committed entry is lost', () => {
      expectCaught(loseUnsyncedTailOnRestart(coreBinding), 400, [
        'leader-completeness',
        'state-machine-safety',
        'log-matching',
      ]);
    });

    it('that corrupts the entries it replicates to one follower: logs diverge', () => {
      expectCaught(corruptEntriesToNode2(coreBinding), 50, ['log-matching']);
    });

    it('that serves lease reads after its lease expired: a stale read', () => {
      // Without check-quorum a deposed leader keeps believing it leads; with it, this core steps
      // down before any new election can finish, which hides an unexpired lease.
      expectCaught(leaseWithoutExpiry(coreBinding), 400, ['stale-read'], (o) => {
        o.checkQuorum = false;
        o.leaseReadProb = 0.5;
      });
    });

    it('that answers ReadIndex without confirming leadership: a stale read', () => {
      expectCaught(readIndexWithoutQuorum(coreBinding), 200, ['stale-read']);
    });
  });
});
