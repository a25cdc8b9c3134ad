import { expect } from 'chai';
import { ErrorReply, RawReply } from '../../protocol/reply';
import { ERRORSTATS_LIMIT, ErrorCounts, errorCode, forEachError } from '../../server/error-stats';

describe('error-stats (INFO errorstats)', () => {
  it("takes Redis's error code: the first word if a space follows within 32 bytes, else ERR", () => {
    expect(errorCode('WRONGTYPE Operation against a key holding the wrong kind of value')).to.equal('WRONGTYPE');
    expect(errorCode('ERR syntax error')).to.equal('ERR');
    expect(errorCode('NOSPACE')).to.equal('ERR');
    expect(errorCode(`${'X'.repeat(31)} late space`)).to.equal('ERR');
    expect(errorCode(`${'X'.repeat(30)} space`)).to.equal('X'.repeat(30));
  });

  it('counts errors in replies, nested ones and ones inside encoded RESP (forwarded replies)', () => {
    const seen: string[] = [];
    const on = (c: string) => seen.push(c);
    expect(forEachError(new ErrorReply('ERR x'), on)).to.equal(true);
    expect(forEachError([1, new ErrorReply('WRONGTYPE y'), [new ErrorReply('NOSCRIPT z')]], on)).to.equal(false);
    const raw = Buffer.from('*4\r\n$3\r\nabc\r\n-ERR bad\r\n*2\r\n:1\r\n-EXECABORT t\r\n%1\r\n+k\r\n!9\r\nBUSY nope\r\n');
    expect(forEachError(new RawReply(raw), on)).to.equal(false);
    expect(forEachError(new RawReply(Buffer.from('-MISCONF disk\r\n')), on)).to.equal(true);
    expect(seen).to.deep.equal(['ERR', 'WRONGTYPE', 'NOSCRIPT', 'ERR', 'EXECABORT', 'BUSY', 'MISCONF']);
  });

  it('keeps at most ERRORSTATS_LIMIT codes; later new codes count as ERRORSTATS_OVERFLOW', () => {
    const c = new ErrorCounts();
    for (let i = 0; i < ERRORSTATS_LIMIT + 5; i++) c.add(`E${i}`);
    c.add('E0');
    expect(c.byCode.size).to.equal(ERRORSTATS_LIMIT + 1);
    expect(c.byCode.get('ERRORSTATS_OVERFLOW')).to.equal(5);
    expect(c.byCode.get('E0')).to.equal(2);
  });
});
