import { expect } from 'chai';
import { LogColumn } from '../../storage/log-column';
import { rng } from '../support/rng';

/** The column's private chunks and spare (white-box: what it keeps reachable). */
function chunksOf<T>(col: LogColumn<T>): T[][] {
  return (col as unknown as { chunks: T[][] }).chunks;
}

function held<T>(col: LogColumn<T | undefined>): T[] {
  const spare = (col as unknown as { spare?: Array<T | undefined> }).spare ?? [];
  return [...chunksOf(col).flat(), ...spare].filter((e): e is T => e !== undefined);
}

describe('LogColumn (the segment log index columns)', () => {
  it('agrees with a plain array under random pushes, front drops, truncations and clears', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const r = rng(seed);
      const col = new LogColumn<number>(-1);
      let model: number[] = [];
      let next = 0;
      for (let step = 0; step < 20_000; step++) {
        const x = r();
        if (x < 0.8) {
          col.push(next);
          model.push(next++);
        } else if (x < 0.9) {
          const n = Math.floor(r() * (model.length + 2));
          col.dropFront(n);
          model = model.slice(Math.min(n, model.length));
        } else if (x < 0.995) {
          const k = Math.floor(r() * (model.length + 2));
          col.truncate(k);
          model = model.slice(0, k);
        } else {
          col.clear();
          model = [];
        }
        expect(col.length, `seed ${seed} step ${step}`).to.equal(model.length);
        if (model.length > 0) {
          expect(col.get(0)).to.equal(model[0]);
          expect(col.get(model.length - 1)).to.equal(model[model.length - 1]);
        }
      }
      expect([...col.values()]).to.deep.equal(model);
    }
  });

  it('set replaces one entry; dropped and truncated slots hold the empty value, not the old objects', () => {
    const col = new LogColumn<{ v: number } | undefined>(undefined);
    for (let i = 0; i < 10; i++) col.push({ v: i });
    col.set(3, undefined);
    expect(col.get(3)).to.equal(undefined);
    col.dropFront(2);
    col.truncate(5);
    expect([...col.values()].map((e) => e?.v)).to.deep.equal([2, undefined, 4, 5, 6]);
    // The chunks are private; what matters is that no dropped entry is reachable through the column.
    expect(held(col).map((e) => e!.v)).to.deep.equal([2, 4, 5, 6]);
  });

  it('no dropped or truncated object stays reachable, across chunk boundaries and in the kept spare chunk', () => {
    const r = rng(7);
    const col = new LogColumn<{ v: number } | undefined>(undefined);
    let model: number[] = [];
    let next = 0;
    for (let step = 0; step < 3000; step++) {
      const x = r();
      if (x < 0.7) {
        for (let i = 0; i < 50; i++) {
          col.push({ v: next });
          model.push(next++);
        }
      } else if (x < 0.85) {
        const n = Math.floor(r() * (model.length + 2));
        col.dropFront(n);
        model = model.slice(Math.min(n, model.length));
      } else {
        const k = Math.floor(r() * (model.length + 2));
        col.truncate(k);
        model = model.slice(0, k);
      }
      expect(held(col).map((e) => e!.v), `step ${step}`).to.deep.equal(model);
    }
  });

  it('a push never copies what it holds: growth adds a chunk, the first one stays the same array', () => {
    const col = new LogColumn<number>(0);
    col.push(1);
    const first = chunksOf(col)[0];
    for (let i = 0; i < 100_000; i++) col.push(i);
    expect(chunksOf(col)[0]).to.equal(first);
    expect(col.get(100_000)).to.equal(99_999);
  });

  it('reuses its array after the front is dropped instead of growing it (steady state: a compacting log)', () => {
    const col = new LogColumn<number>(0);
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 1000; i++) col.push(i);
      col.dropFront(900);
    }
    expect(col.length).to.equal(5000);
    // 5,000 entries fit in two 4,096-slot chunks, or three when they straddle.
    expect(chunksOf(col).length).to.be.at.most(3);
  });
});
