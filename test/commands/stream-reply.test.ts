/**
 * XRANGE / XREVRANGE / XREAD replies are encoded straight from the stream's
 * blocks for a client's read (server/commands/stream-reply.ts). These tests
 * compare the exact reply bytes, RESP2 and RESP3, with a reference
 * redis-server holding the same streams: COUNT, exclusive and reversed
 * bounds, empty results, deleted entries, many fields, binary and long
 * values, entries whose fields differ from the block's first entry, several
 * blocks, ids beyond 2^53, and the paths that keep the structured reply
 * (a script's redis.call, MULTI/EXEC) or wait (XREAD BLOCK).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { serverForSuite } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';
import { RawClient, resp } from '../support/raw';

type Arg = string | Buffer;

/** Each request's exact reply bytes (an ECHO marker ends each one); a request may be several commands (MULTI ... EXEC). */
async function rawReplies(port: number, proto: 2 | 3, requests: Arg[][][]): Promise<string[]> {
  const c = await RawClient.connect(port);
  try {
    const out: string[] = [];
    let seen = 0;
    const step = async (cmds: Arg[][], keep: boolean): Promise<void> => {
      const tag = `__end__${String(out.length).padStart(4, '0')}`;
      const marker = `$${tag.length}\r\n${tag}\r\n`;
      c.write(Buffer.concat([...cmds.map((cmd) => resp(...cmd)), resp('ECHO', tag)]));
      const text = await c.waitFor((s) => s.indexOf(marker, seen) >= 0, 10000);
      const end = text.indexOf(marker, seen);
      if (end < 0) throw new Error(`no reply to ${cmds.map((x) => x.join(' ')).join('; ').slice(0, 200)}`);
      if (keep) out.push(text.slice(seen, end));
      seen = end + marker.length;
    };
    if (proto === 3) await step([['HELLO', '3']], false);
    for (const r of requests) await step(r, true);
    return out;
  } finally {
    c.close();
  }
}

const BINARY = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const U64_MAX = '18446744073709551615';

/** The same writes for both servers (explicit ids only, so both hold the same entries). */
function fill(): Arg[][] {
  const w: Arg[][] = [['FLUSHALL']];
  // `s`: 250 entries with the same two fields (three blocks), then a few that differ.
  for (let i = 1; i <= 250; i++) w.push(['XADD', 's', `${1700000000000 + Math.floor(i / 3) * 997}-${(i % 3) * 200}`, 'field', `value-${i}`, 'n', String(i)]);
  w.push(['XADD', 's', '1800000000000-0', 'other', 'x', 'field', 'y']); // fields not the block's
  w.push(['XADD', 's', '1800000000000-1', 'field', 'value']); // fewer fields
  w.push(['XADD', 's', '1800000000000-2', 'field', '', 'n', '']); // empty values
  w.push(['XADD', 's', '1800000000001-0', BINARY, BINARY, 'n', Buffer.from('a\r\nb\0c')]); // binary field and value
  w.push(['XADD', 's', '1800000000002-0', 'big', 'v'.repeat(5000), 'n', '1']); // a value past the block's byte limit
  const many: Arg[] = [];
  for (let f = 0; f < 60; f++) many.push(`f${f}`, f % 2 === 0 ? `${f}` : 'x'.repeat(f));
  w.push(['XADD', 's', '1800000000003-0', ...many]);
  w.push(['XADD', 's', '1800000000003-1', ...many]);
  // Deleted entries: single ones, a run across a block's end, a whole block's worth.
  w.push(['XDEL', 's', `${1700000000000 + 997}-0`, `${1700000000000 + 33 * 997}-400`]);
  const run: Arg[] = ['XDEL', 's'];
  for (let i = 95; i <= 110; i++) run.push(`${1700000000000 + Math.floor(i / 3) * 997}-${(i % 3) * 200}`);
  w.push(run);
  const block: Arg[] = ['XDEL', 's'];
  for (let i = 200; i <= 250; i++) block.push(`${1700000000000 + Math.floor(i / 3) * 997}-${(i % 3) * 200}`);
  w.push(block);
  // `big`: ids about and beyond 2^53 (and the largest id).
  w.push(['XADD', 'big', '9007199254740990-18446744073709551614', 'a', '1']);
  w.push(['XADD', 'big', '9007199254740991-0', 'a', '2']);
  w.push(['XADD', 'big', '9007199254740991-9007199254740992', 'a', '3']);
  w.push(['XADD', 'big', '9007199254740992-0', 'a', '4']);
  w.push(['XADD', 'big', '9007199254740993-5', 'a', '5']);
  w.push(['XADD', 'big', '18446744073709551614-1', 'a', '6']);
  w.push(['XADD', 'big', `${U64_MAX}-${U64_MAX}`, 'a', '7']);
  // `small`: ids near 0, a seq past one varint byte.
  w.push(['XADD', 'small', '0-1', 'a', '1']);
  w.push(['XADD', 'small', '0-300', 'a', '2']);
  w.push(['XADD', 'small', '1-0', 'a', '3']);
  // `lowered`: after XSETID lowered the last id, a deleted entry has a greater id than a live one after it.
  w.push(['XADD', 'lowered', '1-0', 'a', '1'], ['XADD', 'lowered', '10-0', 'a', '2'], ['XDEL', 'lowered', '10-0']);
  w.push(['XSETID', 'lowered', '1-0'], ['XADD', 'lowered', '5-0', 'a', '3']);
  // `empty`: a stream with no entries; `str`: not a stream.
  w.push(['XADD', 'empty', '1-1', 'a', '1'], ['XDEL', 'empty', '1-1']);
  w.push(['SET', 'str', 'x']);
  return w;
}

const A = 1700000000000;
/** Reads compared byte for byte. */
function reads(): Arg[][] {
  const r: Arg[][] = [];
  for (const key of ['s', 'big', 'small', 'lowered', 'empty', 'missing']) {
    r.push(['XRANGE', key, '-', '+']);
    r.push(['XREVRANGE', key, '+', '-']);
    for (const count of ['0', '1', '2', '5', '100', '101', '1000', '-1']) {
      r.push(['XRANGE', key, '-', '+', 'COUNT', count]);
      r.push(['XREVRANGE', key, '+', '-', 'COUNT', count]);
    }
  }
  r.push(['XRANGE', 's', `${A + 30 * 997}`, `${A + 40 * 997}`]);
  r.push(['XRANGE', 's', `(${A + 30 * 997}-200`, `(${A + 40 * 997}-0`, 'COUNT', '7']);
  r.push(['XREVRANGE', 's', `${A + 40 * 997}`, `${A + 30 * 997}`, 'COUNT', '9']);
  r.push(['XRANGE', 's', `${A + 32 * 997}`, `${A + 37 * 997}`]); // the deleted run
  r.push(['XRANGE', 's', `${A + 67 * 997}`, '+']); // the deleted block's span and after
  r.push(['XREVRANGE', 's', '+', `${A + 66 * 997}`]);
  r.push(['XRANGE', 's', '1800000000000', '1800000000003']);
  r.push(['XRANGE', 's', '+', '-']); // reversed bounds: empty
  r.push(['XRANGE', 's', '1800000000003-2', '+']); // past the end: empty
  r.push(['XRANGE', 'big', '9007199254740991', '9007199254740992']);
  r.push(['XRANGE', 'big', '(9007199254740991-0', `(${U64_MAX}-${U64_MAX}`]);
  r.push(['XREVRANGE', 'big', '18446744073709551614', '9007199254740991-9007199254740992']);
  r.push(['XRANGE', 'big', '9007199254740990-18446744073709551614', '9007199254740990-18446744073709551614']);
  r.push(['XRANGE', 'lowered', '2', '+']);
  r.push(['XRANGE', 'str', '-', '+']);
  r.push(['XREAD', 'STREAMS', 's', '0']);
  for (const count of ['0', '1', '100', '-5']) r.push(['XREAD', 'COUNT', count, 'STREAMS', 's', 'big', 'small', 'missing', 'empty', '0', '0', '0-1', '0', '0']);
  r.push(['XREAD', 'COUNT', '100', 'STREAMS', 's', `${A + 66 * 997}-200`]);
  r.push(['XREAD', 'COUNT', '3', 'STREAMS', 'big', '9007199254740991-0']);
  r.push(['XREAD', 'STREAMS', 'big', `${U64_MAX}-${U64_MAX}`]); // nothing after: null
  r.push(['XREAD', 'STREAMS', 's', 'big', '$', '$']);
  r.push(['XREAD', 'STREAMS', 'lowered', '1']);
  r.push(['XREAD', 'COUNT', '2', 'STREAMS', 'str', '0']);
  return r;
}

describe('stream range replies encoded from the blocks, against a reference redis-server (exact bytes)', function () {
  this.timeout(60000);
  const t = serverForSuite();
  let ref: ReferenceRedis | undefined;
  before(async function () {
    if (spawnSync('redis-server', ['--version']).status !== 0) this.skip();
    ref = await startReferenceRedis();
    const writes = fill().map((c) => [c]);
    const [mine, theirs] = await Promise.all([rawReplies(t.srv.port, 2, writes), rawReplies(ref.port, 2, writes)]);
    expect(mine).to.deep.equal(theirs);
  });
  after(async () => {
    await ref?.stop();
  });

  for (const proto of [2, 3] as const) {
    it(`XRANGE / XREVRANGE / XREAD, RESP${proto}`, async () => {
      const cmds = reads();
      const requests = cmds.map((c) => [c]);
      const [mine, theirs] = await Promise.all([rawReplies(t.srv.port, proto, requests), rawReplies(ref!.port, proto, requests)]);
      expect(mine.length).to.equal(cmds.length);
      for (let i = 0; i < cmds.length; i++) {
        const what = cmds[i].map((a) => (a.length > 40 ? `${a.slice(0, 40)}...` : a.toString())).join(' ');
        expect(mine[i], `${what} (RESP${proto})`).to.equal(theirs[i]);
      }
      // The replies are not trivially empty.
      expect(mine.filter((x) => x.length > 1000).length).to.be.above(15);
    });

    it(`a script's redis.call and MULTI/EXEC still get the entries, RESP${proto}`, async () => {
      const requests: Arg[][][] = [
        [['EVAL_RO', "return redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 3)", '1', 's']],
        [['EVAL_RO', "return redis.call('XREVRANGE', KEYS[1], '+', '-')", '1', 'big']],
        [['EVAL_RO', "return redis.call('XREAD', 'COUNT', 2, 'STREAMS', KEYS[1], KEYS[2], '0', '0')", '2', 's', 'small']],
        [['EVAL', "return redis.call('XRANGE', KEYS[1], '-', '+')", '1', 'small']],
        [['MULTI'], ['XRANGE', 's', '-', '+', 'COUNT', '2'], ['XREAD', 'COUNT', '1', 'STREAMS', 'big', '0'], ['XREVRANGE', 'empty', '+', '-'], ['EXEC']],
      ];
      const [mine, theirs] = await Promise.all([rawReplies(t.srv.port, proto, requests), rawReplies(ref!.port, proto, requests)]);
      expect(mine).to.deep.equal(theirs);
      expect(mine[0]).to.include('value-1');
    });
  }

  it('XREAD BLOCK answered by a later XADD gets the same bytes', async () => {
    const one = async (port: number): Promise<string> => {
      const reader = await RawClient.connect(port);
      const writer = await RawClient.connect(port);
      try {
        reader.write(resp('XREAD', 'COUNT', '5', 'BLOCK', '5000', 'STREAMS', 'small', 'none', '$', '$'));
        await new Promise((r) => setTimeout(r, 200));
        writer.write(resp('XADD', 'small', '2-0', 'late', BINARY));
        await writer.waitFor((s) => s.endsWith('\r\n'));
        await reader.waitFor((s) => s.includes('late'), 5000);
        await new Promise((r) => setTimeout(r, 100)); // the rest of the reply, if it came in pieces
        return reader.received;
      } finally {
        reader.close();
        writer.close();
      }
    };
    const [mine, theirs] = await Promise.all([one(t.srv.port), one(ref!.port)]);
    expect(mine).to.equal(theirs);
    expect(mine).to.include('2-0');
  });
});
