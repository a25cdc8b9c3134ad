import { expect } from 'chai';
import { StreamBlock, BLOCK_MAX_ENTRIES } from '../../server/keyspace/stream-block';
import { StreamValue } from '../../server/keyspace/stream';
import { compareIds, formatId, idKey, idFromKey, nextId, parseStreamId, parseU64, prevId, U64_MAX, type StreamId } from '../../server/keyspace/stream-id';

/**
 * The stream's data side without a server: id parsing as Redis's string2ull
 * reads it, the block encoding (delta ids over the whole u64 range, shared
 * field names, deleted flags), Redis's node-full decision, and the element
 * records: an XADD rewrites the last block only, trimming deletes whole
 * blocks, and a stream rebuilt from its records (in any order) is the same.
 */
const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const id = (ms: bigint | number, seq: bigint | number): StreamId => ({ ms: BigInt(ms), seq: BigInt(seq) });
const pairs = (...s: string[]): Buffer[] => s.map(b);
const all = (s: StreamValue): string[] => s.range(id(0, 0), id(U64_MAX, U64_MAX), 0, false).map((e) => `${formatId(e.id)}:${e.pairs.map((p) => p.toString('latin1')).join(',')}`);

type Records = Map<string, Buffer>;
function drainInto(s: StreamValue, store: Records): string[] {
  const written: string[] = [];
  s.drainRecords((sub, v) => {
    written.push(sub[0] + (v === null ? '-' : '+'));
    if (v === null) store.delete(sub);
    else store.set(sub, Buffer.from(v));
  });
  return written;
}
function restore(store: Records, reverse = false): StreamValue {
  const s = new StreamValue();
  const entries = [...store.entries()];
  if (reverse) entries.reverse();
  for (const [k, v] of entries) s.restoreRecord(k, v);
  s.finishRestore();
  return s;
}

describe('stream ids', () => {
  it('parse as Redis string2ull: strict int64 first, then strtoull (spaces, sign, leading zeros, negation mod 2^64)', () => {
    expect(parseU64('0')).to.equal(0n);
    expect(parseU64('18446744073709551615')).to.equal(U64_MAX);
    expect(parseU64('18446744073709551616')).to.equal(null);
    expect(parseU64('-1')).to.equal(null);
    expect(parseU64('007')).to.equal(7n);
    expect(parseU64(' 9')).to.equal(9n);
    expect(parseU64('+1')).to.equal(1n);
    expect(parseU64('-0')).to.equal(0n);
    expect(parseU64('-007')).to.equal(U64_MAX - 6n);
    expect(parseU64('')).to.equal(null);
    expect(parseU64('1x')).to.equal(null);
  });

  it('forms: ms, ms-seq, ms-* (XADD only), - and + (not strict), at most 127 bytes', () => {
    expect(parseStreamId(b('5'), { missingSeq: 0n, strict: true })?.id).to.deep.equal(id(5, 0));
    expect(parseStreamId(b('5'), { missingSeq: U64_MAX, strict: false })?.id).to.deep.equal(id(5, U64_MAX));
    expect(parseStreamId(b('5-*'), { missingSeq: 0n, strict: true, seqStar: true })).to.deep.equal({ id: id(5, 0), seqGiven: false });
    expect(parseStreamId(b('5-*'), { missingSeq: 0n, strict: true })).to.equal(null);
    expect(parseStreamId(b('-'), { missingSeq: 0n, strict: true })).to.equal(null);
    expect(parseStreamId(b('+'), { missingSeq: 0n, strict: false })?.id).to.deep.equal(id(U64_MAX, U64_MAX));
    expect(parseStreamId(b('10--0'), { missingSeq: 0n, strict: true })?.id).to.deep.equal(id(10, 0));
    expect(parseStreamId(b('1'.repeat(128)), { missingSeq: 0n, strict: false })).to.equal(null);
  });

  it('next / prev carry across ms and stop at the ends; keys sort like ids', () => {
    expect(nextId(id(1, U64_MAX))).to.deep.equal(id(2, 0));
    expect(nextId(id(U64_MAX, U64_MAX))).to.equal(null);
    expect(prevId(id(2, 0))).to.deep.equal(id(1, U64_MAX));
    expect(prevId(id(0, 0))).to.equal(null);
    const ids = [id(0, 1), id(1, 0), id(255, 7), id(256, 0), id(U64_MAX, 0), id(U64_MAX, U64_MAX)];
    const keys = ids.map(idKey);
    expect([...keys].sort()).to.deep.equal(keys);
    for (const x of ids) expect(idFromKey(idKey(x))).to.deep.equal(x);
    expect(compareIds(id(1, 2), id(1, 3))).to.equal(-1);
  });
});

describe('stream blocks', () => {
  it('round-trips entries with shared and own fields, huge deltas and deleted flags', () => {
    const blk = StreamBlock.create(id(5, 3), pairs('a', 'b'));
    blk.append(id(5, 3), pairs('a', '1'));
    blk.append(id(5, 4), pairs('a', '\x00\xff'));
    blk.append(id(9, 0), pairs('x', '', 'y', 'z'.repeat(300)));
    blk.append(id(U64_MAX, U64_MAX), pairs('a', 'last'));
    const seen: string[] = [];
    blk.forEach((eid, deleted, off) => {
      seen.push(`${formatId(eid)}${deleted ? 'D' : ''}:${blk.pairsAt(off).map((p) => p.toString('latin1').slice(0, 3)).join(',')}`);
    });
    expect(seen).to.deep.equal(['5-3:a,1', '5-4:a,\x00\xff', '9-0:x,,y,zzz', '18446744073709551615-18446744073709551615:a,las']);
    let second = -1;
    blk.forEach((_eid, _d, off) => {
      if (second === -2) {
        second = off;
        return false;
      }
      second = -2;
      return true;
    });
    blk.markDeleted(second);
    const copy = StreamBlock.decode(id(5, 3), blk.encode());
    const flags: boolean[] = [];
    copy.forEach((_eid, deleted) => {
      flags.push(deleted);
    });
    expect(flags).to.deep.equal([false, true, false, false]);
    expect(copy.live).to.equal(3);
    expect(copy.count).to.equal(4);
    expect(copy.last).to.deep.equal(id(U64_MAX, U64_MAX));
    expect(copy.lpBytes).to.equal(blk.lpBytes);
  });

  it('is full as a Redis node is: 100 entries (deleted ones count), or 4096 listpack bytes', () => {
    const s = new StreamValue();
    for (let i = 1; i <= 250; i++) s.add(id(i, 0), pairs('f', String(i)));
    expect(s.blockCount).to.equal(3);
    expect(BLOCK_MAX_ENTRIES).to.equal(100);
    const big = new StreamValue();
    for (let i = 1; i <= 10; i++) big.add(id(i, 0), pairs('f', 'v'.repeat(1000)));
    // Redis: a 1000-byte value per entry, 3 entries per 4096-byte node before the 4th would cross it.
    expect(big.blockCount).to.equal(Math.ceil(10 / 4));
  });

  it('an XADD rewrites the last block and the meta record only; trimming deletes whole block records', () => {
    const s = new StreamValue();
    const store: Records = new Map();
    for (let i = 1; i <= 1000; i++) s.add(id(i, 0), pairs('a', 'x', 'b', String(i)));
    drainInto(s, store);
    expect([...store.keys()].filter((k) => k[0] === 'b')).to.have.length(10);
    s.add(id(1001, 0), pairs('a', 'x', 'b', 'y'));
    expect(drainInto(s, store).sort()).to.deep.equal(['b+', 'm+']);
    expect(s.trim({ maxlen: 750, approx: true, limit: 10000 })).to.equal(200);
    expect(drainInto(s, store).sort()).to.deep.equal(['b-', 'b-', 'm+']);
    expect(s.trim({ maxlen: 745, approx: false, limit: 0 })).to.equal(56);
    expect(s.length).to.equal(745);
    expect(drainInto(s, store).sort()).to.deep.equal(['b+', 'm+']);
    expect(s.trim({ minid: id(600, 0), approx: false, limit: 0 })).to.equal(343);
    expect(all(s)[0]).to.equal('600-0:a,x,b,600');
  });

  it('a stream rebuilt from its records (any order) is the same, groups and pending entries included', () => {
    const s = new StreamValue();
    const store: Records = new Map();
    for (let i = 1; i <= 330; i++) s.add(id(i, i % 3), i % 7 === 0 ? pairs('other', String(i)) : pairs('a', String(i)));
    s.delete(id(5, 2));
    s.maxDeletedId = id(5, 2);
    s.metaChanged();
    const g = s.createGroup('g1', id(10, 1), 7n);
    const c1 = s.createConsumer(g, 'alice', 1000);
    const c2 = s.createConsumer(g, 'bob', 2000);
    s.addPending(g, c1, id(3, 0), 1500);
    s.addPending(g, c2, id(4, 1), 1600).deliveryCount = 3;
    s.createGroup('g2', id(0, 0), -1n);
    drainInto(s, store);
    for (const reverse of [false, true]) {
      const back = restore(store, reverse);
      expect(all(back)).to.deep.equal(all(s));
      expect(back.length).to.equal(329);
      expect(back.lastId).to.deep.equal(s.lastId);
      expect(back.maxDeletedId).to.deep.equal(id(5, 2));
      expect(back.entriesAdded).to.equal(330n);
      expect(back.raxStats()).to.deep.equal(s.raxStats());
      const bg = back.groups.get('g1')!;
      expect(bg.entriesRead).to.equal(7n);
      expect([...bg.pel.values()].map((p) => [formatId(p.id), p.consumer.name, p.deliveryTime, p.deliveryCount])).to.deep.equal([
        ['3-0', 'alice', 1500, 1],
        ['4-1', 'bob', 1600, 3],
      ]);
      expect(bg.consumers.get('bob')!.pel.size).to.equal(1);
      expect(back.groups.get('g2')!.entriesRead).to.equal(-1n);
      let pending = 0;
      back.drainRecords(() => pending++);
      expect(pending).to.equal(0);
    }
    // Destroying a group deletes its records, consumers' and pending entries' too.
    s.destroyGroup(g);
    const gone = drainInto(s, store);
    expect(gone.filter((x) => x.endsWith('-')).sort()).to.deep.equal(['c-', 'c-', 'g-', 'p-', 'p-']);
    expect(restore(store).groups.has('g1')).to.equal(false);
  });

  it('reads skip deleted entries before comparing ids (after XSETID a deleted id may exceed live ones)', () => {
    const s = new StreamValue();
    s.add(id(6, 1), pairs('b', 'x'));
    s.add(id(U64_MAX, U64_MAX), pairs('a', 'y'));
    expect(s.delete(id(U64_MAX, U64_MAX))).to.equal(true);
    s.lastId = id(11, 2);
    s.add(id(11, 3), pairs('a', '1'));
    expect(s.blockCount).to.equal(1);
    expect(all(s)).to.deep.equal(['6-1:b,x', '11-3:a,1']);
    expect(s.range(id(0, 0), id(12, 0), 0, true).map((e) => formatId(e.id))).to.deep.equal(['11-3', '6-1']);
    expect(s.delete(id(11, 3))).to.equal(true);
    expect(s.length).to.equal(1);
  });

  it('clone is deep and has every record pending', () => {
    const s = new StreamValue();
    for (let i = 1; i <= 150; i++) s.add(id(i, 0), pairs('a', String(i)));
    const g = s.createGroup('g', id(0, 0), 0n);
    s.addPending(g, s.createConsumer(g, 'c', 1), id(2, 0), 5);
    const c = s.clone();
    s.add(id(151, 0), pairs('a', 'x'));
    expect(c.length).to.equal(150);
    const store: Records = new Map();
    drainInto(c, store);
    expect(all(restore(store))).to.deep.equal(all(c));
    expect(restore(store).groups.get('g')!.pel.size).to.equal(1);
  });

  it('sealed blocks share slabs (few ArrayBuffers for many blocks), and views taken before a seal keep their bytes', () => {
    const s = new StreamValue();
    const v = 'v'.repeat(60);
    let held: Buffer[] = [];
    for (let i = 1; i <= 50 * BLOCK_MAX_ENTRIES; i++) {
      s.add(id(i, 0), pairs('f', `${v}${i}`));
      // A reply's view of the open block, taken just before the block fills up and is sealed.
      if (i === 150) held = s.range(id(150, 0), id(150, 0), 0, false)[0].pairs;
    }
    expect(held.map((p) => p.toString('latin1'))).to.deep.equal(['f', `${v}150`]);
    const buffers = new Set<ArrayBufferLike>();
    for (const e of s.range(id(0, 0), id(U64_MAX, U64_MAX), 0, false)) buffers.add(e.pairs[1].buffer);
    // 50+ blocks of ~4 KiB: with one ArrayBuffer each this would be over 50.
    expect(buffers.size).to.be.below(5);
    expect(all(s)).to.have.length(50 * BLOCK_MAX_ENTRIES);
    expect(all(s)[149]).to.equal(`150-0:f,${v}150`);
    // A sealed block taken out of its slab for an append (a clone's last block) leaves the original alone.
    const c = s.clone();
    c.add(id(10 ** 6, 0), pairs('f', 'new'));
    expect(all(c)).to.have.length(all(s).length + 1);
    expect(all(s)[all(s).length - 1]).to.equal(`${50 * BLOCK_MAX_ENTRIES}-0:f,${v}${50 * BLOCK_MAX_ENTRIES}`);
  });
});
