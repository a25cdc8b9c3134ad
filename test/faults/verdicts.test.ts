import { expect } from 'chai';
import { finalStateVerdict, readYourWrites, type FinalState } from './verdicts';

const lostWrites = (h: History, f: FinalState): string[] => finalStateVerdict(h, f).lost;
import { classifyError, type CounterOp, type History, type RegisterOp } from './workload';

const set = (process: number, value: string, invoke: number, complete: number, outcome: RegisterOp['outcome'] = 'ok'): RegisterOp => ({ process, node: 1, key: 'k', input: { f: 'set', value }, output: {}, invoke, complete, outcome });
const get = (process: number, value: string | null, invoke: number, complete: number): RegisterOp => ({ process, node: 1, key: 'k', input: { f: 'get' }, output: { value }, invoke, complete, outcome: 'ok' });
const incr = (process: number, value: number, invoke: number, complete: number, outcome: CounterOp['outcome'] = 'ok'): CounterOp => ({ process, node: 1, key: 'c', input: { f: 'incr' }, output: { value }, invoke, complete, outcome });
const cget = (process: number, value: number, invoke: number, complete: number): CounterOp => ({ process, node: 1, key: 'c', input: { f: 'get' }, output: { value }, invoke, complete, outcome: 'ok' });
const history = (register: RegisterOp[], counter: CounterOp[] = []): History => ({ register, counter, errors: {} });
const finals = (...nodes: Array<Record<string, string | null>>): FinalState => new Map(nodes.map((m, i) => [i + 1, new Map(Object.entries(m))]));

describe('fault verdicts', () => {
  describe('read-your-writes', () => {
    it('accepts reading your own write or a later/concurrent one by someone else', () => {
      expect(readYourWrites(history([set(0, 'a', 0, 1), get(0, 'a', 2, 3), set(1, 'b', 0.5, 10), get(0, 'b', 11, 12)]))).to.deep.equal([]);
    });
    it('flags reading an older value after your own acknowledged write', () => {
      const v = readYourWrites(history([set(1, 'old', 0, 1), set(0, 'mine', 2, 3), get(0, 'old', 4, 5)]));
      expect(v).to.have.length(1);
      expect(v[0]).to.include('client 0');
    });
    it('flags a counter read below your own INCR reply', () => {
      expect(readYourWrites(history([], [incr(0, 5, 0, 1), cget(0, 4, 2, 3)]))).to.have.length(1);
      expect(readYourWrites(history([], [incr(0, 5, 0, 1), cget(1, 4, 2, 3)]))).to.deep.equal([]);
    });
  });

  describe('no acknowledged write lost', () => {
    it('accepts a final state that reflects every acknowledged write', () => {
      const h = history([set(0, 'a', 0, 1), set(1, 'b', 2, 3), set(2, 'c', 2.5, 0, 'info')], [incr(0, 1, 0, 1), incr(1, 2, 2, 3), incr(1, 0, 4, 0, 'info')]);
      expect(lostWrites(h, finals({ k: 'b', c: '2' }, { k: 'b', c: '2' }))).to.deep.equal([]);
      expect(lostWrites(h, finals({ k: 'c', c: '3' }))).to.deep.equal([]);
    });
    it('flags a lost SET, a lost INCR, too many INCRs and disagreeing nodes', () => {
      const h = history([set(0, 'a', 0, 1), set(1, 'b', 2, 3)], [incr(0, 1, 0, 1), incr(1, 2, 2, 3)]);
      expect(lostWrites(h, finals({ k: 'a', c: '2' })).join()).to.include('later acknowledged SET "b" was lost');
      expect(lostWrites(h, finals({ k: 'b', c: '1' })).join()).to.include('lost increments');
      expect(lostWrites(h, finals({ k: 'b', c: '4' })).join()).to.include('may have applied');
      expect(lostWrites(h, finals({ k: 'b', c: '2' }, { k: 'a', c: '2' })).join()).to.include('nodes disagree');
      expect(lostWrites(h, finals({ k: 'zzz', c: '2' })).join()).to.include('never written');
    });
    it('tells a write answered as failed but applied (phantom) from a lost one', () => {
      const failedSet: RegisterOp = { ...set(2, 'x', 4, 5, 'fail'), error: 'CLUSTERDOWN no leader' };
      const failedIncr: CounterOp = { ...incr(2, 0, 4, 5, 'fail'), error: 'CLUSTERDOWN no leader' };
      const h = history([set(0, 'a', 0, 1), set(1, 'b', 2, 3), failedSet], [incr(0, 1, 0, 1), incr(1, 2, 2, 3), failedIncr]);
      const v = finalStateVerdict(h, finals({ k: 'x', c: '3' }));
      expect(v.lost).to.deep.equal([]);
      expect(v.phantom).to.have.length(2);
      expect(v.phantom.join()).to.include('CLUSTERDOWN no leader');
    });
  });

  describe('error classification', () => {
    it('fails what certainly did not apply and leaves the rest unknown', () => {
      expect(classifyError(new Error('CLUSTERDOWN no leader'), true)).to.equal('fail');
      expect(classifyError(new Error('TRYAGAIN leadership changed before the write was committed; it was not applied'), true)).to.equal('fail');
      expect(classifyError(new Error('TRYAGAIN leadership changed while the write was in flight; it may or may not have been applied'), true)).to.equal('info');
      expect(classifyError(new Error('Command timed out'), true)).to.equal('info');
      expect(classifyError(new Error('connect ECONNREFUSED 127.0.0.1:1'), false)).to.equal('fail');
      expect(classifyError(new Error('Connection is closed.'), true)).to.equal('info');
      expect(classifyError(new Error('ERR unknown command'), true)).to.equal('fail');
      // The server answers -MISCONF only for writes it never proposed (server/node/proposals.ts submitProposals / failQueuedWrites).
      expect(classifyError(new Error('MISCONF Errors writing to the data directory'), true)).to.equal('fail');
    });
  });
});
