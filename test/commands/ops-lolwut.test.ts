/**
 * LOLWUT side by side with redis-server (redis-cli prints both). Schotter
 * with at most two rows of squares draws no random number in Redis, so those
 * pictures must match to the character; the random ones must have Redis's
 * dimensions and trailer lines (only the version number differs).
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { errorOf, redisCli, serverForSuite } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';

const OURS = '7.2.4';

describe('LOLWUT (ops)', function () {
  this.timeout(60000);
  const t = serverForSuite();
  let ref: ReferenceRedis;
  let refVersion = '';

  before(async () => {
    ref = await startReferenceRedis();
    refVersion = redisCli(ref.port, ['info', 'server']).stdout.match(/redis_version:(\S+)/)![1];
  });
  after(async () => {
    await ref?.stop();
  });

  const both = (args: string[]) => ({
    ours: redisCli(t.srv.port, ['lolwut', ...args]).stdout,
    theirs: redisCli(ref.port, ['lolwut', ...args]).stdout.split(`Redis ver. ${refVersion}`).join(`Redis ver. ${OURS}`),
  });

  it('draws the deterministic Schotter pictures exactly as redis-server', () => {
    for (const args of [
      ['version', '5', '66', '8', '2'],
      ['version', '5', '40', '5', '1'],
      ['version', '5', '1', '1', '1'],
      ['version', '5', '3', '3', '2'],
      ['version', '5', '100', '13', '2'],
      ['version', '5', '7', '200', '1'],
      ['version', '5', '-4', '0', '-1'],
      ['version', '5', '300', '1', '2'],
    ]) {
      const { ours, theirs } = both(args);
      expect(ours, args.join(' ')).to.equal(theirs);
    }
  });

  it('random pictures have Redis dimensions and trailer lines', () => {
    for (const args of [['version', '5'], ['version', '5', '30', '4', '6'], ['version', '6'], ['version', '6', '33', '7'], ['version', '6', '1', '1']]) {
      const { ours, theirs } = both(args);
      // Cells per line: Braille characters, or colour escapes (their lengths differ per grey).
      const shape = (s: string) => s.split('\n').map((l) => (l.includes('\x1b') ? l.split('\x1b[0m').length - 1 : l.length));
      expect(shape(ours), args.join(' ')).to.deep.equal(shape(theirs));
      expect(ours.split('\n').slice(-3), args.join(' ')).to.deep.equal(theirs.split('\n').slice(-3));
    }
    expect(both(['version', '5']).ours).to.include(`Georg Nees - schotter, plotter on paper, 1968. Redis ver. ${OURS}`);
  });

  it('other versions print the version line; same arguments, same picture', async () => {
    for (const args of [[], ['version', '7'], ['version', '1'], ['version', '-5'], ['version', '4294967303'], ['5'], ['version']]) {
      const { ours, theirs } = both(args);
      expect(ours, args.join(' ')).to.equal(theirs);
    }
    // The version is printed with %u: 2^32 + 5 is version 5.
    const wrapped = both(['version', '4294967301', '10', '2', '3']);
    expect(wrapped.ours.split('\n').slice(-2)).to.deep.equal(wrapped.theirs.split('\n').slice(-2));
    expect(wrapped.ours).to.include('Georg Nees');
    expect(redisCli(t.srv.port, ['lolwut']).stdout).to.equal(`Redis ver. ${OURS}\n`);
    expect(await t.r.call('lolwut', 'version', '6', '20', '5')).to.equal(await t.r.call('lolwut', 'version', '6', '20', '5'));
  });

  it('answers Redis errors and RESP3 verbatim text', async () => {
    const rr = new Redis({ port: ref.port });
    try {
      for (const args of [['version', 'x'], ['version', '5', 'x'], ['version', '6', '10', '1.5'], ['version', '5', '10', '2', 'y']]) {
        expect(await errorOf(t.r.call('lolwut', ...args)), args.join(' ')).to.equal(await errorOf(rr.call('lolwut', ...args)));
      }
    } finally {
      rr.disconnect();
    }
    expect(await t.r.call('command', 'info', 'lolwut')).to.deep.equal([['lolwut', -1, ['readonly', 'fast'], 0, 0, 0, ['@read', '@fast'], [], [], []]]);
  });
});
