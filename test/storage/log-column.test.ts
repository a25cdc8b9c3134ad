import { expect } from 'chai';
import { LogColumn } from '../../storage/log-column';
import { rng } from '../support/rng';

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
    // The backing array is private; what matters is that no dropped entry is reachable through the column.
    const held = (col as unknown as { items: Array<{ v: number } | undefined> }).items.filter((e) => e !== undefined).map((e) => e!.v);
    expect(held).to.deep.equal([2, 4, 5, 6]);
  });

  it('reuses its array after the front is dropped instead of growing it (steady state: a compacting log)', () => {
    const col = new LogColumn<number>(0);
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 1000; i++) col.push(i);
      col.dropFront(900);
    }
    const items = (col as unknown as { items: number[] }).items;
    expect(col.length).to.equal(5000);
    expect(items.length).to.be.below(12_000);
  });
});
