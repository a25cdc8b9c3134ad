import { entryRandom } from '../../../server/commands/random';
import { expect } from 'chai';
import { BoolReply, DoubleReply, MapReply, SetReply, type Reply } from '../../../protocol/reply';
import { Keyspace } from '../../../server/keyspace';
import type { ExecContext } from '../../../server/commands/types';
import { DEFAULT_INSTRUCTION_BUDGET, DEFAULT_MEMORY_BUDGET, errBudget, errMemoryBudget, runScript, scriptSha } from '../../../server/scripting/engine';
import { plain } from '../commands/helpers';

const NOW = 1_700_000_000_123;

function context(ks: Keyspace, index: number, now = NOW): ExecContext {
  return { keyspace: ks, db: ks.dbs[0], dbIndex: 0, now, index, random: entryRandom(index, 0) };
}

/** Runs a script as a write at log index `index`; returns the reply in plain form. */
function lua(
  body: string,
  opts: { keys?: string[]; args?: string[]; ks?: Keyspace; index?: number; readOnly?: boolean; budget?: number; memoryBudget?: number; now?: number } = {},
): unknown {
  return plain(rawLua(body, opts));
}

function rawLua(
  body: string,
  opts: { keys?: string[]; args?: string[]; ks?: Keyspace; index?: number; readOnly?: boolean; budget?: number; memoryBudget?: number; now?: number } = {},
): Reply {
  const ks = opts.ks ?? new Keyspace();
  const b = Buffer.from(body);
  return runScript({
    ctx: context(ks, opts.readOnly ? 0 : (opts.index ?? 7), opts.now),
    body: b,
    sha: scriptSha(b),
    keys: (opts.keys ?? []).map((k) => Buffer.from(k)),
    args: (opts.args ?? []).map((a) => Buffer.from(a)),
    readOnly: opts.readOnly ?? false,
    budget: opts.budget,
    memoryBudget: opts.memoryBudget,
  });
}

const where = (body: string, line = 1): string => ` script: ${scriptSha(Buffer.from(body))}, on @user_script:${line}.`;

describe('scripting engine', () => {
  describe('Lua -> reply conversion', () => {
    const cases: Array<[string, unknown]> = [
      ['return 1', 1],
      ['return 3.99', 3],
      ['return -3.99', -3],
      ['return -0.5', 0],
      ["return 'hello'", 'hello'],
      ['return nil', null],
      ['return false', null],
      ['return true', 1],
      ["return {1, 2, {3, 'hello'}}", [1, 2, [3, 'hello']]],
      ["return {1, 2, 3.7, 'x', nil, 4}", [1, 2, 3, 'x']],
      ["return {ok = 'FINE'}", { status: 'FINE' }],
      ["return {err = 'MY thing'}", { err: 'MY thing' }],
      ["return redis.status_reply('FINE')", { status: 'FINE' }],
      ["return redis.error_reply('oops')", { err: 'ERR oops' }],
      ["return redis.error_reply('XY oops')", { err: 'XY oops' }],
      ["return redis.error_reply('-XY oops')", { err: 'XY oops' }],
      ['return {}', []],
      ['return 2^53', 9007199254740992n],
      ['return {true, false}', [1, null]],
    ];
    for (const [body, want] of cases) {
      it(`${body} -> ${JSON.stringify(want, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))}`, () => {
        expect(lua(body)).to.deep.equal(want);
      });
    }

    it('RESP3 table forms: double, map, set', () => {
      expect(rawLua('return {double = 1.5}')).to.deep.equal(new DoubleReply(1.5));
      const m = rawLua("return {map = {a = 1}}");
      expect(m).to.be.instanceOf(MapReply);
      expect(plain((m as MapReply).entries.flat())).to.deep.equal(['a', 1]);
      const s = rawLua("return {set = {x = true}}");
      expect(s).to.be.instanceOf(SetReply);
      expect(plain((s as SetReply).items)).to.deep.equal(['x']);
    });

    it('after redis.setresp(3) booleans are RESP3 booleans', () => {
      expect(rawLua('redis.setresp(3) return true')).to.deep.equal(new BoolReply(true));
      expect(rawLua('redis.setresp(3) return false')).to.deep.equal(new BoolReply(false));
    });

    it('a cyclic table answers an error instead of recursing forever', () => {
      expect(lua('local t = {} t[1] = t return t')).to.deep.equal({ err: 'ERR reached lua stack limit' });
    });
  });

  describe('reply -> Lua conversion (redis.call)', () => {
    it('bulk, integer, nil, status, array as Redis converts them (RESP2)', () => {
      const ks = new Keyspace();
      lua("redis.call('set', 'k', 'v')", { ks });
      expect(lua("return type(redis.call('get', 'k'))", { ks })).to.equal('string');
      expect(lua("return type(redis.call('get', 'nokey'))", { ks })).to.equal('boolean');
      expect(lua("return tostring(redis.call('get', 'nokey'))", { ks })).to.equal('false');
      expect(lua("return math.type(redis.call('exists', 'k'))", { ks })).to.equal('integer');
      expect(lua("local r = redis.call('set', 'k', 'v') return type(r) .. ':' .. r.ok", { ks })).to.equal('table:OK');
      expect(lua("return redis.call('mget', 'k', 'nokey', 'k')", { ks })).to.deep.equal(['v', null, 'v']);
    });

    it('redis.setresp(3) turns nil replies into nil', () => {
      expect(lua("redis.setresp(3) return type(redis.call('get', 'nokey'))")).to.equal('nil');
      expect(lua('redis.setresp(4)')).to.deep.equal({ err: 'ERR RESP version must be 2 or 3.' + where('redis.setresp(4)') });
    });

    it('numbers as arguments print without a fraction when integral', () => {
      const ks = new Keyspace();
      expect(lua("redis.call('set', 'k', 10 / 2) return redis.call('get', 'k')", { ks })).to.equal('5');
      expect(lua("redis.call('set', 'k', 1.5) return redis.call('get', 'k')", { ks })).to.equal('1.5');
      expect(lua("redis.call('set', 'k', 3000000000) return redis.call('incr', 'k')", { ks })).to.equal(3000000001);
    });

    it('KEYS and ARGV are binary-safe string tables', () => {
      expect(lua('return {KEYS[1], KEYS[2], ARGV[1], #ARGV}', { keys: ['a', 'b'], args: ['x\u00ff'] })).to.deep.equal([
        'a',
        'b',
        Buffer.from('x\u00ff').toString('latin1'),
        1,
      ]);
    });
  });

  describe('errors', () => {
    it('redis.call raises the command error with the script position', () => {
      const ks = new Keyspace();
      lua("redis.call('set', 's', 'a')", { ks });
      const body = "return redis.call('incr', 's')";
      expect(lua(body, { ks })).to.deep.equal({ err: 'ERR value is not an integer or out of range' + where(body) });
    });

    it('redis.pcall returns an error table the script can inspect', () => {
      const ks = new Keyspace();
      lua("redis.call('set', 's', 'a')", { ks });
      expect(lua("local r = redis.pcall('incr', 's') return type(r) .. ' ' .. r.err", { ks })).to.equal(
        'table ERR value is not an integer or out of range',
      );
      expect(lua("return redis.pcall('incr', 's')", { ks })).to.deep.equal({ err: 'ERR value is not an integer or out of range' });
      expect(lua("return redis.pcall('get')")).to.deep.equal({ err: 'ERR Wrong number of args calling Redis command from script' });
    });

    it('runtime and compile errors are worded as in Redis 7', () => {
      expect(lua("error('boom')")).to.deep.equal({ err: 'ERR user_script:1: boom' + where("error('boom')") });
      expect(lua('\n\nerror("deep")')).to.deep.equal({ err: 'ERR user_script:3: deep' + where('\n\nerror("deep")', 3) });
      const compile = lua('retur') as { err: string };
      expect(compile.err).to.match(/^ERR Error compiling script \(new function\): user_script:1: /);
    });

    it('unknown, forbidden and malformed calls', () => {
      const cases: Array<[string, string]> = [
        ["redis.call('nosuch')", 'ERR Unknown Redis command called from script'],
        ["redis.call('eval', 'return 1', 0)", 'ERR This Redis command is not allowed from script'],
        ["redis.call('script', 'flush')", 'ERR This Redis command is not allowed from script'],
        ["redis.call('multi')", 'ERR This Redis command is not allowed from script'],
        ["redis.call('get')", 'ERR Wrong number of args calling Redis command from script'],
        ['redis.call()', 'ERR Please specify at least one argument for this redis lib call'],
        ["redis.call('get', {})", 'ERR Lua redis lib command arguments must be strings or integers'],
        ["redis.call('set', 'a', 'b', 'zz')", 'ERR syntax error'],
      ];
      for (const [body, msg] of cases) expect(lua(body), body).to.deep.equal({ err: msg + where(body) });
    });

    it('read-only scripts refuse write commands', () => {
      const body = "return redis.call('set', 'a', 'b')";
      expect(lua(body, { readOnly: true })).to.deep.equal({ err: 'ERR Write commands are not allowed from read-only scripts.' + where(body) });
      const shebang = "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')";
      expect(lua(shebang)).to.deep.equal({ err: 'ERR Write commands are not allowed from read-only scripts.' + where(shebang, 2) });
      expect(lua("#!lua flags=bogus\nreturn 1")).to.deep.equal({ err: 'ERR Unexpected flag in script shebang: bogus' });
    });
  });

  describe('sandbox', () => {
    for (const name of ['os', 'io', 'loadfile', 'dofile', 'require', 'nosuchglobal']) {
      it(`${name} is not reachable`, () => {
        const body = `return ${name}`;
        expect(lua(body)).to.deep.equal({
          err: `ERR user_script:1: Script attempted to access nonexistent global variable '${name}'` + where(body),
        });
      });
    }

    it('globals are read-only', () => {
      expect(lua('x = 1')).to.deep.equal({ err: 'ERR user_script:1: Attempt to modify a readonly table' + where('x = 1') });
    });

    it('nothing leaks from one run to the next', () => {
      const ks = new Keyspace();
      lua('string.rep = nil math.floor = nil', { ks });
      expect(lua("return string.rep('a', 3)", { ks })).to.equal('aaa');
    });

    it('Lua 5.1 names Redis scripts use: unpack', () => {
      expect(lua('return {unpack({1, 2, 3})}')).to.deep.equal([1, 2, 3]);
    });

    it('redis.sha1hex and constants', () => {
      expect(lua("return redis.sha1hex('')")).to.equal('da39a3ee5e6b4b0d3255bfef95601890afd80709');
      expect(lua('return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}')).to.deep.equal([0, 1, 2, 3]);
      expect(lua("redis.log(redis.LOG_WARNING, 'hello') return 1")).to.equal(1);
    });

    it('cjson encodes and decodes', () => {
      expect(lua("return cjson.encode({1, 2, 'a/b'})")).to.equal('[1,2,"a\\/b"]');
      expect(lua("return cjson.encode({a = {b = true}})")).to.equal('{"a":{"b":true}}');
      expect(lua("return cjson.encode({})")).to.equal('{}');
      expect(lua("local t = cjson.decode('{\"a\":[1,2,null],\"b\":\"x\"}') return {t.a[2], t.b, t.a[3] == cjson.null}")).to.deep.equal([
        2,
        'x',
        1,
      ]);
      expect((lua("return cjson.decode('{bad')") as { err: string }).err).to.match(/^ERR .*Expected value/);
    });

    it('bit operations are 32-bit like LuaBitOp', () => {
      expect(lua('return {bit.band(0xff, 0x0f), bit.bor(1, 2, 4), bit.bxor(5, 1), bit.lshift(1, 31), bit.tohex(255), bit.bnot(0)}')).to.deep.equal([
        15,
        7,
        4,
        -2147483648,
        '000000ff',
        -1,
      ]);
    });
  });

  describe('determinism', () => {
    const randoms = 'return {math.random(1000000), math.random(1000000), tostring(math.random())}';

    it('the same script at the same index gives the same result on every node', () => {
      expect(lua(randoms, { index: 42 })).to.deep.equal(lua(randoms, { index: 42 }));
    });

    it('math.random is seeded from the log index', () => {
      expect(lua(randoms, { index: 42 })).to.not.deep.equal(lua(randoms, { index: 43 }));
    });

    it('math.randomseed makes the sequence repeatable within a run', () => {
      expect(lua('math.randomseed(7) local a = math.random(1e6) math.randomseed(7) return a == math.random(1e6)')).to.equal(1);
      expect((lua('return math.random(0)') as { err: string }).err).to.contain('interval is empty');
    });

    it('table.sort is deterministic even where fengari picks random pivots', () => {
      // McIlroy's quicksort adversary: the comparator fixes values lazily, so
      // unbalanced partitions make fengari randomise pivots (with Math.random),
      // and the final order depends on those choices.
      const body = [
        'local n = 1000',
        'local val, gas, nsolid, candidate = {}, n + 1, 0, 0',
        'local t = {}',
        'for i = 1, n do t[i] = i val[i] = gas end',
        'local function freeze(x) nsolid = nsolid + 1 val[x] = nsolid end',
        'table.sort(t, function(x, y)',
        '  if val[x] == gas and val[y] == gas then',
        '    if x == candidate then freeze(x) else freeze(y) end',
        '  end',
        '  if val[x] == gas then candidate = x elseif val[y] == gas then candidate = y end',
        '  return val[x] < val[y]',
        'end)',
        'return t',
      ].join('\n');
      const first = lua(body, { index: 5 });
      for (let i = 0; i < 3; i++) expect(lua(body, { index: 5 })).to.deep.equal(first);
    });

    it("redis.call('TIME') is the entry's cluster time", () => {
      expect(lua("return redis.call('TIME')", { now: 1_700_000_000_123 })).to.deep.equal(['1700000000', '123000']);
      expect(lua("return redis.call('PING')")).to.deep.equal({ status: 'PONG' });
      expect(lua("return redis.call('ECHO', 'x')")).to.equal('x');
    });

    it('writes inside a script take the entry index as their version', () => {
      const ks = new Keyspace();
      lua("redis.call('set', 'a', '1') redis.call('set', 'b', '2')", { ks, index: 99 });
      expect(ks.dbs[0].version('a')).to.equal(99);
      expect(ks.dbs[0].version('b')).to.equal(99);
    });
  });

  describe('instruction budget', () => {
    it('stops an infinite loop with a deterministic error', () => {
      expect(plain(rawLua('while true do end', { budget: 1_000_000 }))).to.deep.equal(plain(errBudget(1_000_000)));
    });

    it('pcall cannot swallow the budget error', () => {
      const body = 'while true do pcall(function() while true do end end) end';
      expect(plain(rawLua(body, { budget: 1_000_000 }))).to.deep.equal(plain(errBudget(1_000_000)));
    });

    it('writes made before the stop stay (no rollback, as in Redis), identically on every node', () => {
      const ks = new Keyspace();
      rawLua("redis.call('set', 'before', '1') while true do end", { ks, budget: 200_000 });
      expect(ks.dbs[0].lookupRead('before', NOW)).to.not.equal(undefined);
    });

    it('the default budget stops a runaway script', function () {
      this.timeout(20_000);
      expect(plain(rawLua('local i = 0 while true do i = i + 1 end'))).to.deep.equal(plain(errBudget(DEFAULT_INSTRUCTION_BUDGET)));
    });
  });

  describe('memory budget (deterministic, so every node stops a script at the same point)', () => {
    const MB = 1024 * 1024;
    const killed = (limit: number) => plain(errMemoryBudget(limit));

    it('refuses a huge string.rep before allocating it', () => {
      expect(plain(rawLua("return string.rep('x', 1e9)"))).to.deep.equal(killed(DEFAULT_MEMORY_BUDGET));
    });

    it('stops a doubling concatenation (one instruction per doubling) and table growth', () => {
      expect(plain(rawLua("local s = 'x' while true do s = s .. s end", { memoryBudget: MB }))).to.deep.equal(killed(MB));
      expect(plain(rawLua('local t = {} for i = 1, 1e7 do t[i] = i end', { memoryBudget: MB }))).to.deep.equal(killed(MB));
      expect(plain(rawLua("local t = {} for i = 1, 1e7 do t['k' .. i] = true end", { memoryBudget: MB }))).to.deep.equal(killed(MB));
    });

    it('counts what string buffers build (gsub, table.concat, format)', () => {
      const gsub = "local s = string.rep('a', 1000) return #string.gsub(s, 'a', string.rep('b', 1000))";
      expect(lua(gsub)).to.equal(1_000_000);
      expect(plain(rawLua(gsub, { memoryBudget: 512 * 1024 }))).to.deep.equal(killed(512 * 1024));
      const concat = "local t = {} for i = 1, 100 do t[i] = string.rep('c', 10000) end return #table.concat(t)";
      expect(lua(concat)).to.equal(1_000_000);
      expect(plain(rawLua(concat, { memoryBudget: 1_500_000 }))).to.deep.equal(killed(1_500_000));
    });

    it('pcall cannot swallow it; writes made before the stop stay, the same on every node', () => {
      expect(plain(rawLua("pcall(string.rep, 'x', 1e9) return 'survived'"))).to.deep.equal(killed(DEFAULT_MEMORY_BUDGET));
      const body = "redis.call('set', 'before', '1') local s = string.rep('x', 200000000) redis.call('set', 'after', '1')";
      for (let node = 0; node < 2; node++) {
        const ks = new Keyspace();
        expect(plain(rawLua(body, { ks }))).to.deep.equal(killed(DEFAULT_MEMORY_BUDGET));
        expect(ks.dbs[0].lookupRead('before', NOW)).to.not.equal(undefined);
        expect(ks.dbs[0].lookupRead('after', NOW)).to.equal(undefined);
      }
    });

    it('leaves room for scripts that move values of tens of megabytes', () => {
      const ks = new Keyspace();
      const big = 'v'.repeat(20 * MB);
      expect(lua("redis.call('set', KEYS[1], ARGV[1]) local v = redis.call('get', KEYS[1]) return #(v .. '!')", { ks, keys: ['big'], args: [big] })).to.equal(20 * MB + 1);
    });
  });

  describe('one Lua state kept between runs', () => {
    const leaks: Array<[string, string, unknown]> = [
      ['string.upper = nil', 'return type(string.upper)', 'function'],
      ['string.extra = 1', 'return type(string.extra)', 'nil'],
      ["getmetatable('').__index = nil", "return ('a'):upper()", 'A'],
      ["getmetatable('').__index.upper = function() return 'x' end", "return ('a'):upper()", 'A'],
      ["rawset(_G, 'leaked', 1)", "return rawget(_G, 'leaked') == nil", 1],
      ['redis = nil', 'return type(redis)', 'table'],
      ['redis.call = redis.pcall', "return redis.pcall('nosuchcmd') ~= nil and type(redis.call) == 'function'", 1],
      ['math.random = function() return 4 end', 'return math.random(1000000)', 'random'],
      ['setmetatable(cjson, {__index = function() return 1 end})', 'return type(cjson.nothere)', 'nil'],
      ["table.insert = function() end; local t = {} table.insert(t, 1) return #t", 'local t = {} table.insert(t, 1) return #t', 1],
      ['KEYS[1] = "changed"', 'return KEYS[1]', 'k'],
    ];

    it('a kept compiled script that assigned _ENV gets the globals back next run', () => {
      const body = "if ARGV[1] == 'swap' then _ENV = {type = function() return 'swapped' end} end return type(1)";
      expect(lua(body, { args: ['swap'] })).to.equal('swapped');
      expect(lua(body, { args: ['keep'] })).to.equal('number');
    });
    for (const [change, check, expected] of leaks) {
      it(`nothing a script changes reaches the next run: ${change}`, () => {
        const before = lua(check, { keys: ['k'] });
        lua(change, { keys: ['k'] });
        const after = lua(check, { keys: ['k'] });
        if (expected === 'random') expect(after).to.equal(before);
        else expect(after).to.deep.equal(expected);
      });
    }

    it('object ids (tostring of tables and functions) restart at the same number every run', () => {
      const first = lua('return {tostring({}), tostring(function() end)}');
      lua('local t = {} for i = 1, 100 do t[i] = {} end return #t');
      expect(lua('return {tostring({}), tostring(function() end)}')).to.deep.equal(first);
    });

    it('a run stopped by the budgets leaves a state the next run can use', () => {
      expect(rawLua('while true do end', { budget: 100000 })).to.deep.equal(errBudget(100000));
      expect(lua('return 1 + 1')).to.equal(2);
      expect(rawLua("local s = 'x' while true do s = s .. s end", { memoryBudget: 1024 * 1024 })).to.deep.equal(errMemoryBudget(1024 * 1024));
      expect(lua("return string.rep('a', 3)")).to.equal('aaa');
    });

    it('a script compiled in an earlier run gets the same memory budget as a fresh compile', () => {
      const body = "local s = string.rep('y', 60000) return #s";
      const fits = (limit: number, variant = ''): boolean => lua(body + variant, { memoryBudget: limit }) === 60000;
      // The smallest budget the (by now compiled) script fits in.
      let lo = 60000;
      let hi = 1_000_000;
      expect(fits(hi)).to.equal(true);
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (fits(mid)) hi = mid;
        else lo = mid;
      }
      // A new text (a trailing comment: same run, another SHA1) is compiled in its run: the budget is the same.
      expect(fits(hi, ' -- a')).to.equal(true);
      expect(fits(hi - 1, ' -- b')).to.equal(false);
    });
  });
});
