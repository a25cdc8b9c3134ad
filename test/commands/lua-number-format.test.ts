/**
 * Numbers turned into text inside scripts print as in the Lua 5.1 that Redis
 * embeds, side by side with redis-server: tostring and `..` use C's %.14g
 * (1e+15, 1.2345678901235e+17, inf, -nan), string.format's %e %f %g follow
 * C's printf (flags, width, precision, exact ties rounded to even). fengari
 * printed them as JavaScript does (1000000000000000, Infinity, 1.00000e+15).
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { serverForSuite } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';

/** A small deterministic generator, so both servers get the same values. */
function values(count: number, seed: number): string[] {
  let x = seed;
  const rnd = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
  const out = ['0', '1', '-1', '0.5', '1.5', '2.5', '1e15', '1e21', '1e100', '123456789012345678', '1.5e-7', '0.0001', '0.00001', '99999.95', '12345678901234.5', '12345678901235.5', '-2.5e-300', '2.675', '1.005', '0.125', '1e300', '5e-324', '2.5e22'];
  for (let i = 0; i < count; i++) {
    const digits = 1 + Math.floor(rnd() * 15);
    out.push(`${rnd() < 0.3 ? '-' : ''}${Math.floor(rnd() * 10 ** digits)}${rnd() < 0.3 ? '5' : ''}e${Math.floor(rnd() * 50) - 25}`);
  }
  return out;
}

const FORMATS = ['%g', '%G', '%.3g', '%.0g', '%#.3g', '%10.4g', '%-10.4g|', '%+g', '% g', '%010.3g', '%e', '%.0e', '%#.0e', '%.3E', '%12.2e', '%f', '%.0f', '%.2f', '%#.0f', '%10.3f', '%-10.1f|', '%+.1f', '%08.2f', '%.14g', '%.17g', '%.20f'];

const TOSTRING = 'local t = {} for i, v in ipairs(ARGV) do t[i] = tostring(tonumber(v)) .. "|" .. (tonumber(v) .. "") end return t';
const FORMAT = `local out = {} for _, f in ipairs(cjson.decode(ARGV[1])) do for _, v in ipairs(cjson.decode(ARGV[2])) do
  out[#out + 1] = string.format(f, tonumber(v)) end end return out`;

describe('numbers as text in scripts (Lua 5.1 formatting)', function () {
  this.timeout(30000);
  const t = serverForSuite();
  let ref: ReferenceRedis | undefined;
  let rr: Redis | undefined;
  before(async () => {
    ref = await startReferenceRedis().catch(() => undefined);
    if (ref) rr = new Redis({ port: ref.port });
  });
  after(async () => {
    rr?.disconnect();
    await ref?.stop();
  });

  it('tostring: %.14g, with infinities and NaN as C prints them', async () => {
    expect(await t.r.eval('return {tostring(1e15), tostring(2^53), tostring(1/0), tostring(-1/0), tostring(1e14), 1e15 .. "", tostring(12345678901234.5)}', 0)).to.deep.equal(['1e+15', '9.007199254741e+15', 'inf', '-inf', '1e+14', '1e+15', '12345678901234']);
    expect(await t.r.eval('return tostring(0/0)', 0)).to.match(/^-?nan$/);
  });

  it('tostring and `..` of 1,000 numbers equal redis-server', async function () {
    if (!rr) this.skip();
    const v = values(1000, 42);
    expect(await t.r.eval(TOSTRING, 0, ...v)).to.deep.equal(await rr.eval(TOSTRING, 0, ...v));
  });

  it('string.format %e %f %g with flags, width and precision equals redis-server', async function () {
    expect(await t.r.eval("return {string.format('%g', 1e15), string.format('%.3f', 2.0005), string.format('%08.2f', -3.14159), string.format('%.0f', 2.5), string.format('%#.3g', 1)}", 0)).to.deep.equal(['1e+15', '2.001', '-0003.14', '2', '1.00']);
    if (!rr) this.skip();
    const args = [JSON.stringify(FORMATS), JSON.stringify(values(150, 7))];
    const mine = (await t.r.eval(FORMAT, 0, ...args)) as string[];
    const theirs = (await rr.eval(FORMAT, 0, ...args)) as string[];
    expect(mine.length).to.equal(theirs.length);
    for (let i = 0; i < mine.length; i++) expect(mine[i], `format #${i}`).to.equal(theirs[i]);
  });
});
