import { expect } from 'chai';
import { ErrorReply, SimpleString, type Reply } from '../../../protocol/reply';
import { Harness } from '../commands/helpers';
import { LUA_CASES, type LuaExpected } from './cmsgpack-cases';

/** A reply in the recorded form (see cmsgpack-cases.ts). */
function recorded(r: Reply): LuaExpected {
  if (r instanceof ErrorReply) return { err: r.message.replace(/ script: [0-9a-f]+, on @user_script:\d+\./, '') };
  if (r instanceof SimpleString) return r.value;
  if (Buffer.isBuffer(r)) return r.toString('hex');
  if (Array.isArray(r)) return r.map(recorded);
  if (typeof r === 'number' || typeof r === 'bigint') return String(r);
  if (r === null) return null;
  throw new Error(`unexpected reply ${String(r)}`);
}

describe('Lua cmsgpack and struct', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });

  it(`answers ${LUA_CASES.length} scripts byte for byte as redis-server 7.0.15`, () => {
    for (const [script, expected] of LUA_CASES) {
      expect(recorded(h.raw('eval', script, 0)), script).to.deep.equal(expected);
    }
  });

  /** Evaluates a script that receives its values through ARGV. */
  function evalHex(script: string, ...args: Array<string | Buffer>): string {
    const r = h.raw('eval', script, 0, ...args);
    if (r instanceof ErrorReply) throw new Error(r.message);
    return (r as Buffer).toString('hex');
  }

  it('round trips: unpack(pack(v)) packs to the same bytes, for generated values', () => {
    // A deterministic generator of nested Lua values (as Lua source).
    let seed = 7;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const value = (depth: number): string => {
      const k = Math.floor(rnd() * (depth > 3 ? 5 : 7));
      switch (k) {
        case 0:
          return String(Math.floor(rnd() * 2 ** 40) - 2 ** 39);
        case 1:
          return String((rnd() - 0.5) * 1e6);
        case 2:
          return JSON.stringify('s'.repeat(Math.floor(rnd() * 300)));
        case 3:
          return rnd() < 0.5 ? 'true' : 'false';
        case 4:
          return String(Math.floor(rnd() * 300) - 150);
        case 5: {
          const n = Math.floor(rnd() * 20);
          return `{${Array.from({ length: n }, () => value(depth + 1)).join(',')}}`;
        }
        default:
          return `{k${Math.floor(rnd() * 100)}=${value(depth + 1)}}`;
      }
    };
    for (let i = 0; i < 200; i++) {
      const v = value(0);
      const once = evalHex(`return cmsgpack.pack(${v})`);
      const twice = evalHex(`return cmsgpack.pack(cmsgpack.unpack(cmsgpack.pack(${v})))`);
      expect(twice, v).to.equal(once);
    }
  });

  it('round trips binary strings of every length class, and struct values', () => {
    for (const len of [0, 1, 31, 32, 255, 256, 65535, 65536]) {
      const s = Buffer.alloc(len);
      for (let i = 0; i < len; i++) s[i] = (i * 37) & 0xff;
      const r = h.raw('eval', 'return cmsgpack.unpack(cmsgpack.pack(ARGV[1]))', 0, s);
      expect(Buffer.compare(r as Buffer, s), `length ${len}`).to.equal(0);
    }
    const packed = evalHex("return struct.pack('>i2 <I4 d s c3', -2, 70000, 0.25, 'ab', 'xyz')");
    expect(packed).to.equal('fffe70110100000000000000d03f61620078797a');
    const back = h.raw('eval', "return {struct.unpack('>i2 <I4 d s c3', ARGV[1])}", 0, Buffer.from(packed, 'hex'));
    expect(recorded(back)).to.deep.equal(['-2', '70000', '0', '6162', '78797a', '21']);
  });

  it('job-queue style usage: pack a table of job fields, unpack it in another script', () => {
    const packed = h.raw('eval', "return cmsgpack.pack({id='42', attempts=3, data={a=1}})", 0) as Buffer;
    const out = h.raw('eval', 'local t = cmsgpack.unpack(ARGV[1]) return {t.id, t.attempts, t.data.a}', 0, packed);
    expect(recorded(out)).to.deep.equal(['3432', '3', '1']);
  });

  it("pack's output counts against the script memory budget", () => {
    const r = h.raw('eval', "local s = string.rep('x', 1e6) local t = {} for i = 1, 1000 do t[i] = s end return #cmsgpack.pack(t)", 0);
    expect(r).to.be.instanceOf(ErrorReply);
    expect((r as ErrorReply).message).to.match(/memory budget/);
  });
});
