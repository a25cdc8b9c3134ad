import { expect } from 'chai';
import { MapReply } from '../../protocol/reply';
import { encodeReply } from '../../protocol/encoder';
import { deserializeReply, serializeReply } from '../../server/reply-codec';

/**
 * XREAD / XREADGROUP's reply: a RESP3 map of stream name to entries, which
 * RESP2 renders as an array of [name, entries] pairs (not a flat array as
 * other maps); the state machine's reply cache keeps that distinction.
 */
describe('stream replies: MapReply with resp2Pairs', () => {
  const reply = new MapReply([[Buffer.from('s'), [[Buffer.from('1-1'), [Buffer.from('f'), Buffer.from('v')]]]]], true);

  it('renders RESP2 as an array of pairs and RESP3 as a map', () => {
    expect(encodeReply(reply, 2).toString('latin1')).to.equal('*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n');
    expect(encodeReply(reply, 3).toString('latin1')).to.equal('%1\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n1-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n');
    expect(encodeReply(new MapReply([['a', 1]]), 2).toString('latin1')).to.equal('*2\r\n$1\r\na\r\n:1\r\n');
  });

  it('survives the reply cache (serialize / deserialize) with its RESP2 shape', () => {
    const back = deserializeReply(serializeReply(reply));
    expect(back).to.be.instanceOf(MapReply);
    expect((back as MapReply).resp2Pairs).to.equal(true);
    expect(encodeReply(back, 2)).to.deep.equal(encodeReply(reply, 2));
    expect((deserializeReply(serializeReply(new MapReply([['a', 1]]))) as MapReply).resp2Pairs).to.equal(false);
  });
});
