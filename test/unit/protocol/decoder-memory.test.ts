import { expect } from 'chai';
import { ARG_OVERHEAD, RequestDecoder } from '../../../protocol/decoder';

describe('RequestDecoder memory accounting (client-query-buffer-limit)', () => {
  it('counts each parsed argument of an incomplete request with its overhead', () => {
    const d = new RequestDecoder();
    d.feed(Buffer.from('*2147483647\r\n' + '$0\r\n\r\n'.repeat(1000)), () => expect.fail('no command'));
    expect(d.argvBytes).to.equal(1000 * ARG_OVERHEAD);
    expect(d.memoryBytes).to.be.at.least(1000 * ARG_OVERHEAD);
    expect(d.unparsedBytes).to.equal(0);
  });

  it('counts a split payload at its buffer capacity and forgets everything once the request completes', () => {
    const d = new RequestDecoder();
    const calls: Buffer[][] = [];
    d.feed(Buffer.from('*2\r\n$3\r\nSET\r\n$100000\r\n'), (argv) => calls.push(argv));
    d.feed(Buffer.alloc(30000, 'v'), (argv) => calls.push(argv));
    expect(d.unparsedBytes).to.equal(30000);
    expect(d.freeBytes).to.equal(d.memoryBytes - d.argvBytes - 30000);
    expect(d.argvBytes).to.equal(3 + ARG_OVERHEAD);
    d.feed(Buffer.concat([Buffer.alloc(70000, 'v'), Buffer.from('\r\n')]), (argv) => calls.push(argv));
    expect(calls).to.have.length(1);
    expect(calls[0][1].length).to.equal(100000);
    expect(d.memoryBytes).to.equal(0);
    expect(d.argvBytes).to.equal(0);
  });
});
