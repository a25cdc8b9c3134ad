import { expect } from 'chai';
import { Harness, command, err, OK_ } from '../commands/helpers';

const RETURN_1_SHA = 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db';
const NOSCRIPT = err('NOSCRIPT No matching script. Please use EVAL.');
const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

describe('EVAL, EVALSHA and SCRIPT commands', () => {
  let h: Harness;
  beforeEach(() => {
    h = new Harness();
  });

  it('EVAL passes KEYS and ARGV and caches the script', () => {
    expect(h.run('EVAL', "return redis.call('set', KEYS[1], ARGV[1])", 1, 'k', 'v')).to.deep.equal(OK_);
    expect(h.run('GET', 'k')).to.equal('v');
    expect(h.run('EVAL', 'return 1', 0)).to.equal(1);
    expect(h.run('EVALSHA', RETURN_1_SHA, 0)).to.equal(1);
  });

  it('numkeys is checked as Redis does', () => {
    expect(h.run('EVAL', 'return 1', 1)).to.deep.equal(err("ERR Number of keys can't be greater than number of args"));
    expect(h.run('EVAL', 'return 1', -1)).to.deep.equal(err("ERR Number of keys can't be negative"));
    expect(h.run('EVAL', 'return 1', 'x')).to.deep.equal(err('ERR value is not an integer or out of range'));
    expect(h.run('EVAL', 'return 1')).to.deep.equal(err("ERR wrong number of arguments for 'eval' command"));
    expect(h.run('EVALSHA', RETURN_1_SHA, 2, 'a')).to.deep.equal(err("ERR Number of keys can't be greater than number of args"));
  });

  it('a compile error is refused before the log and not cached', () => {
    const bad = command('eval').check?.([Buffer.from('eval'), Buffer.from('retur'), Buffer.from('0')]);
    expect(bad?.message).to.match(/^ERR Error compiling script/);
    expect(h.ks.scriptCount).to.equal(0);
  });

  it('EVALSHA of an unknown or malformed SHA answers NOSCRIPT', () => {
    expect(h.run('EVALSHA', RETURN_1_SHA, 0)).to.deep.equal(NOSCRIPT);
    expect(h.run('EVALSHA', 'abc', 0)).to.deep.equal(NOSCRIPT);
    expect(h.run('EVALSHA_RO', RETURN_1_SHA, 0)).to.deep.equal(NOSCRIPT);
  });

  it('SCRIPT LOAD / EXISTS / FLUSH', () => {
    expect(h.run('SCRIPT', 'LOAD', 'return 1')).to.equal(RETURN_1_SHA);
    expect(h.run('SCRIPT', 'EXISTS', RETURN_1_SHA, RETURN_1_SHA.toUpperCase(), 'nope')).to.deep.equal([1, 1, 0]);
    expect(h.run('EVALSHA', RETURN_1_SHA.toUpperCase(), 0)).to.equal(1);
    expect(h.run('EVALSHA_RO', RETURN_1_SHA, 0)).to.equal(1);
    expect(h.run('SCRIPT', 'FLUSH', 'ASYNC')).to.deep.equal(OK_);
    expect(h.run('SCRIPT', 'EXISTS', RETURN_1_SHA)).to.deep.equal([0]);
    expect(h.run('SCRIPT', 'LOAD', 'return 1')).to.equal(RETURN_1_SHA);
    expect(h.run('SCRIPT', 'FLUSH', 'sync')).to.deep.equal(OK_);
    expect(h.run('SCRIPT', 'FLUSH')).to.deep.equal(OK_);
  });

  it('SCRIPT errors are worded per subcommand', () => {
    expect(h.run('SCRIPT', 'foo')).to.deep.equal(err("ERR unknown subcommand 'foo'. Try SCRIPT HELP."));
    expect(h.run('SCRIPT', 'LOAD')).to.deep.equal(err("ERR wrong number of arguments for 'script|load' command"));
    expect(h.run('SCRIPT', 'EXISTS')).to.deep.equal(err("ERR wrong number of arguments for 'script|exists' command"));
    expect(h.run('SCRIPT', 'FLUSH', 'x')).to.deep.equal(err('ERR SCRIPT FLUSH only support SYNC|ASYNC option'));
    expect(h.run('SCRIPT', 'FLUSH', 'SYNC', 'ASYNC')).to.deep.equal(err('ERR SCRIPT FLUSH only support SYNC|ASYNC option'));
    expect(h.run('SCRIPT', 'KILL')).to.deep.equal(err('NOTBUSY No scripts in execution right now.'));
    expect((h.run('SCRIPT', 'HELP') as unknown[]).length).to.be.greaterThan(5);
    expect((h.run('SCRIPT', 'LOAD', 'retur') as { err: string }).err).to.match(/^ERR Error compiling script/);
  });

  it('EVAL_RO runs reads, refuses writes and does not cache', () => {
    h.run('SET', 'k', 'v');
    expect(h.run('EVAL_RO', "return redis.call('get', KEYS[1])", 1, 'k')).to.equal('v');
    const w = h.run('EVAL_RO', "return redis.call('del', KEYS[1])", 1, 'k') as { err: string };
    expect(w.err).to.match(/^ERR Write commands are not allowed from read-only scripts\. script: /);
    expect(h.run('GET', 'k')).to.equal('v');
    expect(h.ks.scriptCount).to.equal(0);
  });

  it('the compare-and-delete lock release of redis-py and redlock', () => {
    h.run('SET', 'lock', 'token-1', 'PX', 10000, 'NX');
    expect(h.run('EVAL', RELEASE, 1, 'lock', 'token-2')).to.equal(0);
    expect(h.run('GET', 'lock')).to.equal('token-1');
    expect(h.run('EVAL', RELEASE, 1, 'lock', 'token-1')).to.equal(1);
    expect(h.run('GET', 'lock')).to.equal(null);
  });

  it('lock extend scripts in the style of redis-py (string + number arithmetic, PTTL) and redsync', () => {
    const extend = [
      "local token = redis.call('get', KEYS[1])",
      'if not token or token ~= ARGV[1] then return 0 end',
      "local expiration = redis.call('pttl', KEYS[1])",
      'if not expiration then expiration = 0 end',
      'if expiration < 0 then return 0 end',
      'local newttl = ARGV[2]',
      'if ARGV[3] == "0" then newttl = ARGV[2] + expiration end',
      "redis.call('pexpire', KEYS[1], newttl)",
      'return 1',
    ].join('\n');
    h.run('SET', 'lock', 'me', 'PX', 1000);
    expect(h.run('EVAL', extend, 1, 'lock', 'other', 5000, 1)).to.equal(0);
    expect(h.run('EVAL', extend, 1, 'lock', 'me', 5000, 1)).to.equal(1);
    expect(h.run('PTTL', 'lock')).to.equal(5000);
    expect(h.run('EVAL', extend, 1, 'lock', 'me', 5000, 0)).to.equal(1);
    expect(h.run('PTTL', 'lock')).to.equal(10000);
    const redsyncExtend = 'if redis.call("get", KEYS[1]) == ARGV[1] then return redis.call("pexpire", KEYS[1], ARGV[2]) else return 0 end';
    expect(h.run('EVAL', redsyncExtend, 1, 'lock', 'me', 2500)).to.equal(1);
    expect(h.run('PTTL', 'lock')).to.equal(2500);
  });

  it('integral floats print like Lua 5.1 (as Redis scripts expect)', () => {
    expect(h.run('EVAL', "return 'a' .. 10 / 2", 0)).to.equal('a5');
    expect(h.run('EVAL', 'return tostring(2.5)', 0)).to.equal('2.5');
  });

  it('SET EX inside a script is judged at the entry time', () => {
    h.run('EVAL', "return redis.call('set', KEYS[1], 'v', 'EX', 10)", 1, 'k');
    expect(h.ks.dbs[0].getExpire('k')).to.equal(h.now + 10_000);
  });

  it('metadata: writes go through the log, _RO forms are reads', () => {
    for (const name of ['eval', 'evalsha', 'script']) expect(command(name).flags, name).to.include('write');
    for (const name of ['eval_ro', 'evalsha_ro']) expect(command(name).flags, name).to.include('readonly').and.not.include('write');
    for (const name of ['eval', 'evalsha', 'eval_ro', 'evalsha_ro', 'script']) {
      expect(command(name).flags).to.include('noscript');
      expect(command(name).doc.group).to.equal('scripting');
    }
    expect(command('eval').arity).to.equal(-3);
    expect(command('script').arity).to.equal(-2);
  });
});
