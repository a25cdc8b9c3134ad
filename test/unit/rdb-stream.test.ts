/**
 * Streams in the RDB format without a server: a stream DUMPed and RESTOREd
 * is the same stream (entries, deleted entries inside nodes, metadata,
 * groups, PELs, consumers, times), built with the same blocks, accounting
 * and element records as the original; the older (15) and newer (21)
 * layouts load; damaged bodies only ever raise RdbFormatError.
 */
import { expect } from 'chai';
import { StreamValue } from '../../server/keyspace/stream';
import { formatId, U64_MAX, type StreamId } from '../../server/keyspace/stream-id';
import { RDB_TYPE, RdbFormatError, RdbWriter, verifyPayload } from '../../server/rdb/format';
import { decodePayload } from '../../server/rdb/decode';
import { dumpValue } from '../../server/rdb/encode';
import { buildValue } from '../../server/rdb/build';
import { writeStream } from '../../server/rdb/stream';

const id = (ms: bigint | number, seq: bigint | number): StreamId => ({ ms: BigInt(ms), seq: BigInt(seq) });
const bufs = (...s: string[]): Buffer[] => s.map((x) => Buffer.from(x, 'latin1'));

function restored(p: Buffer): StreamValue {
  const ok = verifyPayload(p);
  expect(ok).to.not.equal(null);
  const v = buildValue(decodePayload(p, ok!.version));
  expect(v.type).to.equal('stream');
  return v as StreamValue;
}

/**
 * Everything observable about a stream, times included (consumers' active
 * times only with `active`: STREAM_LISTPACKS_2 has none, its loader takes
 * the seen time).
 */
function picture(s: StreamValue, active = false): unknown {
  return {
    entries: s.range(id(0, 0), id(U64_MAX, U64_MAX), 0, false).map((e) => [formatId(e.id), e.pairs.map((p) => p.toString('hex'))]),
    length: s.length,
    lastId: formatId(s.lastId),
    maxDeleted: formatId(s.maxDeletedId),
    added: s.entriesAdded.toString(),
    blocks: s.nodes().map((b) => [formatId(b.base), b.count, b.live, b.lpBytes]),
    groups: [...s.groups.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((g) => ({
      name: g.name,
      lastId: formatId(g.lastId),
      read: g.entriesRead.toString(),
      pel: [...g.pel.values()].map((p) => [formatId(p.id), p.consumer.name, p.deliveryTime, p.deliveryCount]),
      consumers: g.sortedConsumers().map((c) => [c.name, c.seenTime, active ? c.activeTime : null, [...c.pel.values()].map((p) => formatId(p.id))]),
    })),
  };
}

function records(s: StreamValue): string[] {
  const out: string[] = [];
  s.drainRecords((k, v) => {
    if (v !== null) out.push(`${Buffer.from(k, 'latin1').toString('hex')}=${v.toString('hex')}`);
  });
  return out.sort();
}

/** 250 entries (3 blocks) with changing fields, binary values, deletions inside blocks, two groups. */
function sample(activeIsSeen = false): StreamValue {
  const s = new StreamValue();
  for (let i = 1; i <= 250; i++) {
    const pairs = i % 9 === 0 ? bufs('other', String(i), 'bin', '\x00\xff\r\n') : bufs('f', `v${i}`, 'n', String(i * 1000));
    s.add(id(1000 + Math.floor(i / 3), i % 3), pairs);
  }
  for (let i = 5; i <= 250; i += 7) s.delete(id(1000 + Math.floor(i / 3), i % 3));
  s.maxDeletedId = id(1083, 0);
  s.metaChanged();
  const g = s.createGroup('g1', id(1010, 0), -1n);
  const alice = s.createConsumer(g, 'alice', 1_700_000_000_123);
  alice.activeTime = 1_700_000_000_456;
  const bob = s.createConsumer(g, 'bob', 1_700_000_001_000);
  if (activeIsSeen) for (const c of [alice, bob]) c.activeTime = c.seenTime;
  s.addPending(g, alice, id(1000, 1), 1_700_000_000_200).deliveryCount = 3;
  s.addPending(g, bob, id(1000, 2), 1_700_000_000_300);
  s.addPending(g, alice, id(1005, 0), 1_700_000_000_400);
  s.createGroup('g0', id(0, 0), 0n);
  return s;
}

describe('rdb: streams', () => {
  it('a stream round-trips through DUMP / RESTORE with the same blocks, groups, PELs and times', () => {
    const s = sample();
    const r = restored(dumpValue(s));
    expect(picture(r)).to.deep.equal(picture(s));
    // DUMP of the restored stream gives the same bytes.
    expect(dumpValue(r).equals(dumpValue(s))).to.equal(true);
  });

  it('a restored stream has the accounting and element records of the one built by commands', () => {
    // Active time = seen time: what a STREAM_LISTPACKS_2 payload (which has none) restores.
    const s = sample(true);
    const r = restored(dumpValue(s));
    expect(r.bytes).to.equal(s.bytes);
    const [rr, sr] = [records(r), records(s)];
    expect(rr.filter((x) => !sr.includes(x))).to.deep.equal(sr.filter((x) => !rr.includes(x)));
    expect(rr).to.deep.equal(sr);
    // ...and keeps growing as it would: the last block takes the next entry.
    s.add(id(5000, 0), bufs('f', 'x'));
    r.add(id(5000, 0), bufs('f', 'x'));
    expect(picture(r)).to.deep.equal(picture(s));
  });

  it('an empty stream with metadata and a group round-trips', () => {
    const s = new StreamValue();
    s.add(id(7, 1), bufs('a', 'b'));
    s.delete(id(7, 1));
    s.maxDeletedId = id(7, 1);
    s.createGroup('g', id(7, 1), 1n);
    const r = restored(dumpValue(s));
    expect(r.nodes().length).to.equal(0);
    expect(picture(r)).to.deep.equal(picture(s));
  });

  it('ids and counters over the whole u64 range (64-bit lengths) and entries read -1', () => {
    const s = new StreamValue();
    s.add(id(U64_MAX - 1n, U64_MAX - 5n), bufs('f', 'v'));
    s.add(id(U64_MAX, 3), bufs('f', 'w'));
    s.entriesAdded = 2n ** 63n + 5n;
    s.metaChanged();
    s.createGroup('g', id(U64_MAX - 1n, 0), -1n);
    expect(picture(restored(dumpValue(s)))).to.deep.equal(picture(s));
  });

  it('times at the int64 limits restore and DUMP again (rounded to a double, kept within int64)', () => {
    const s = new StreamValue();
    s.add(id(1, 1), bufs('f', 'v'));
    const g = s.createGroup('g', id(1, 1), 1n);
    const c = s.createConsumer(g, 'c', 2 ** 63);
    s.addPending(g, c, id(1, 1), -(2 ** 63));
    const p = dumpValue(s);
    expect(p.includes(Buffer.from('ffffffffffffff7f', 'hex'))).to.equal(true);
    const r = restored(p);
    expect(r.groups.get('g')!.consumers.get('c')!.seenTime).to.equal(2 ** 63);
    expect(r.groups.get('g')!.pel.first()!.deliveryTime).to.equal(-(2 ** 63));
    expect(dumpValue(r).equals(p)).to.equal(true);
  });

  it('STREAM_LISTPACKS (Redis 5/6) loads with entries added = length and entries read estimated', () => {
    const s = sample();
    const w = new RdbWriter();
    writeStream(w, s, RDB_TYPE.STREAM_LISTPACKS);
    const r = restored(w.finish(9));
    expect(r.entriesAdded).to.equal(BigInt(s.length));
    expect(formatId(r.maxDeletedId)).to.equal('0-0');
    // g0 at 0-0: before the first entry, so length - length = 0; g1 inside the stream with deletions: unknown.
    expect(r.groups.get('g0')!.entriesRead).to.equal(0n);
    expect(r.groups.get('g1')!.entriesRead).to.equal(-1n);
    // Before 7.2 payloads had no active time: the seen time stands in for it.
    expect(r.groups.get('g1')!.consumers.get('alice')!.activeTime).to.equal(1_700_000_000_123);
  });

  it('STREAM_LISTPACKS_3 (Redis 7.2) loads the consumers\' active times', () => {
    const s = sample();
    const w = new RdbWriter();
    writeStream(w, s, RDB_TYPE.STREAM_LISTPACKS_3);
    expect(picture(restored(w.finish(11)), true)).to.deep.equal(picture(s, true));
  });

  it('damaged bodies (seeded mutations, truncations) raise RdbFormatError or load a consistent stream', () => {
    let seed = 4242;
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const bases = [dumpValue(sample()), (() => {
      const w = new RdbWriter();
      writeStream(w, sample(), RDB_TYPE.STREAM_LISTPACKS_3);
      return w.finish(11);
    })()];
    let refused = 0;
    let loaded = 0;
    for (const p of bases) {
      const body = p.subarray(0, p.length - 10);
      for (let round = 0; round < 1500; round++) {
        const bad = Buffer.from(body);
        if (round % 10 === 9) {
          // Truncated or with junk lengths.
          bad.writeUInt32BE(Math.floor(rand() * 2 ** 32), Math.floor(rand() * (bad.length - 4)));
        } else {
          for (let f = 1 + Math.floor(rand() * 3); f > 0; f--) bad[Math.floor(rand() * bad.length)] = Math.floor(rand() * 256);
        }
        const w = new RdbWriter();
        w.bytes(round % 17 === 0 ? bad.subarray(0, Math.floor(rand() * bad.length)) : bad);
        const q = w.finish(p[p.length - 10]);
        try {
          const v = restored(q);
          // Whatever loads is usable: read it all and DUMP it again.
          picture(v);
          dumpValue(v);
          loaded++;
        } catch (e) {
          if (!(e instanceof RdbFormatError)) throw e;
          refused++;
        }
      }
    }
    expect(refused).to.be.greaterThan(1000);
    expect(loaded).to.be.greaterThan(10);
  });
});
