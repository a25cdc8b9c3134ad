/**
 * DUMP / RESTORE templates for the differential test. RESTORE draws its
 * payload from a fixed pool built at load time: payloads of every type in
 * the encodings whose bytes both servers agree on (strings, lists, intsets,
 * listpack hashes and sorted sets, skiplists), older encodings (ziplist,
 * zipmap, quicklist v1, RDB 1-4 types), and damaged ones (flipped byte,
 * truncated, forged checksum, empty, newer version). DUMP then compares the
 * bytes each server writes. Values here stay in encodings with a
 * reproducible order (no hashtable sets or hashes: Redis lists those in its
 * dict order), so the family is off by default and runs alone.
 */
import type { Family, Gen } from './generator';
import { dumpValue } from '../../server/rdb/encode';
import { crc64 } from '../../server/rdb/crc64';
import { stringValue } from '../../server/keyspace/object';
import { ListValue } from '../../server/keyspace/list';
import { HashValue } from '../../server/keyspace/hash';
import { SetValue } from '../../server/keyspace/set';
import { ZSetValue } from '../../server/keyspace/zset';
import { legacy } from '../unit/rdb-legacy';

function withFooter(body: Buffer, version = 10): Buffer {
  const v = Buffer.alloc(2);
  v.writeUInt16LE(version, 0);
  const head = Buffer.concat([body, v]);
  return Buffer.concat([head, crc64(head)]);
}

function hash(pairs: string[]): HashValue {
  const h = new HashValue();
  for (let i = 0; i < pairs.length; i += 2) h.set(pairs[i], pairs[i + 1]);
  return h;
}

function set(members: string[]): SetValue {
  const s = new SetValue();
  for (const m of members) s.add(m);
  return s;
}

function zset(pairs: Array<[string, number]>): ZSetValue {
  const z = ZSetValue.create(pairs.length, Math.max(...pairs.map(([m]) => m.length)));
  for (const [m, s] of pairs) z.set(m, s);
  return z;
}

const GOOD: Buffer[] = [
  dumpValue(stringValue(Buffer.from('hello'))),
  dumpValue(stringValue(Buffer.from('-70000'))),
  dumpValue(stringValue(Buffer.from('9223372036854775807'))),
  dumpValue(stringValue(Buffer.from('abc'.repeat(30)))),
  dumpValue(stringValue(Buffer.from([0, 255, 13, 10]))),
  dumpValue(ListValue.from(['a', '1', '-5000', '70000', '', 'x'.repeat(70)])),
  dumpValue(ListValue.from(Array.from({ length: 1500 }, (_, i) => String(i)))),
  dumpValue(set(['1', '-7', '300', '5000000000'])),
  dumpValue(hash(['f', 'v', 'n', '12', 'e', ''])),
  dumpValue(zset([['a', 1], ['b', 0.25], ['c', -Infinity], ['d', 1e20], ['e', -0]])),
  dumpValue(zset(Array.from({ length: 130 }, (_, i): [string, number] => [`m${i}`, i / 4]))),
  legacy.list(['a', '12', 'b']),
  legacy.listZiplist(['a', '-300', '70000', 'b'.repeat(100)]),
  // One node: redis-server keeps a restored list's node boundaries, this server re-splits (see the report in dump.test.ts).
  legacy.quicklistV1([['a', '1', '2', 'b']]),
  legacy.set(['3', '1', '2']),
  legacy.hash(['f', 'v', 'g', '1']),
  legacy.hashZiplist(['f', 'v', 'g', '1']),
  legacy.hashZipmap(['f', 'v', 'g', '1'], 2),
  legacy.zsetZiplist(['a', '1', 'b', '2.5']),
  legacy.zsetText([['a', '0.25'], ['b', 'inf']]),
];

function damaged(p: Buffer, k: number): Buffer[] {
  const body = p.subarray(0, p.length - 10);
  const flipped = Buffer.from(p);
  flipped[k % (p.length - 10)] ^= 0x41;
  return [flipped, p.subarray(0, p.length - 1), p.subarray(0, 9), withFooter(body.subarray(0, Math.max(1, body.length - 2))), withFooter(body, 12)];
}

const BAD: Buffer[] = [
  ...GOOD.slice(0, 6).flatMap((p, i) => damaged(p, i * 7 + 1)),
  legacy.list([]),
  legacy.set(['a', 'a']),
  Buffer.from('garbage'),
  Buffer.alloc(0),
];

const POOL = [...GOOD, ...GOOD, ...BAD].map((b) => b.toString('latin1'));

/** TTLs far from expiring during a run (or already past: never created), and invalid ones. */
function ttl(g: Gen): string[] {
  return g.rng.pick([
    () => ['0'],
    () => ['0'],
    () => [String(g.rng.range(600, 900) * 1000000)],
    () => [String(g.rng.range(4000000000, 4100000000) * 1000), 'ABSTTL'],
    () => ['1', 'ABSTTL'],
    () => [g.rng.pick(['-1', 'x', '', '9223372036854775808'])],
  ])();
}

export const dumpFamily: Family = {
  name: 'dump',
  defaultOn: false,
  templates: [
    { cmd: 'DUMP', weight: 3, args: (g) => [g.key()] },
    {
      cmd: 'RESTORE',
      weight: 4,
      args: (g) => {
        const [t, ...abs] = ttl(g);
        const opts = g.options(
          [
            () => [g.word('REPLACE')],
            () => [g.word('REPLACE')],
            () => [g.word('IDLETIME'), g.rng.pick(['0', '100', '-1', 'x', '99999999999'])],
            () => [g.word('FREQ'), g.rng.pick(['0', '255', '256', '-1'])],
            () => [g.word(g.rng.pick(['ABSTTL', 'BOGUS']))],
          ],
          3,
        );
        return [g.key(), t, g.rng.pick(POOL), ...abs, ...opts];
      },
    },
    // Values both servers DUMP alike, built by commands (no SADD or long hash values: a hashtable set or
    // hash lists its elements in Redis's dict order; DUMP of those is compared in test/commands/dump.test.ts).
    { cmd: 'SET', args: (g) => [g.key(), g.value()] },
    { cmd: 'RPUSH', args: (g) => [g.key(), ...g.members(1, 4)] },
    { cmd: 'ZADD', args: (g) => [g.key(), g.rng.pick(['0', '-0', '1.5', '-2.25', '1e20', 'inf', '-inf', '7']), g.member()] },
    { cmd: 'HSET', args: (g) => [g.key(), g.rng.pick(['a', 'b', 'c']), g.rng.pick(['', 'v', '12', '-70000', 'x'.repeat(40)])] },
    { cmd: 'DEL', args: (g) => [g.key()] },
  ],
};
