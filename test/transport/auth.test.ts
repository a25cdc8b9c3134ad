import { expect } from 'chai';
import { Handshake, HandshakeCode, Lane, type HandshakeResult } from '../../server/transport/auth';
import { FrameReader } from '../../server/transport/frames';

/** Splits encoded frames back into (code, payload) pairs. */
function unframe(bufs: Buffer[]): Array<[number, Buffer]> {
  const out: Array<[number, Buffer]> = [];
  const reader = new FrameReader((code, payload) => out.push([code, Buffer.from(payload)]));
  for (const b of bufs) reader.push(b);
  return out;
}

/** Runs a dialer against a listener until both finish; returns each side's last result. */
function run(dialer: Handshake, listener: Handshake): { dialer: HandshakeResult; listener: HandshakeResult } {
  let toListener = unframe(dialer.start());
  let lastD: HandshakeResult = { status: 'pending', send: [] };
  let lastL: HandshakeResult = { status: 'pending', send: [] };
  for (let round = 0; round < 5 && toListener.length > 0; round++) {
    const toDialer: Array<[number, Buffer]> = [];
    for (const [code, payload] of toListener) {
      lastL = listener.receive(code, payload);
      toDialer.push(...unframe(lastL.send));
    }
    toListener = [];
    for (const [code, payload] of toDialer) {
      lastD = dialer.receive(code, payload);
      toListener.push(...unframe(lastD.send));
    }
  }
  return { dialer: lastD, listener: lastL };
}

describe('transport auth handshake', () => {
  it('authenticates both sides with the same secret', () => {
    const r = run(Handshake.dial({ id: 1, secret: 's3cret' }, 2), Handshake.accept({ id: 2, secret: 's3cret' }));
    expect(r.listener).to.include({ status: 'done', peerId: 1 });
    expect(r.dialer).to.include({ status: 'done', peerId: 2 });
  });

  it('refuses a dialer with the wrong secret, and tells it why', () => {
    const r = run(Handshake.dial({ id: 1, secret: 'wrong' }, 2), Handshake.accept({ id: 2, secret: 's3cret' }));
    expect(r.listener.status).to.equal('refused');
    expect(r.listener.status === 'refused' && r.listener.reason).to.match(/cluster secret mismatch/);
    expect(r.dialer.status === 'refused' && r.dialer.reason).to.match(/^refused by peer: cluster secret mismatch/);
  });

  it('refuses a dialer that expects another node id', () => {
    const listener = Handshake.accept({ id: 3, secret: 's' });
    const r = run(Handshake.dial({ id: 1, secret: 's' }, 2), listener);
    expect(r.listener.status === 'refused' && r.listener.reason).to.equal('wrong node id: this is node 3, the dialer expected node 2');
    expect(listener.claimedId).to.equal(1);
  });

  it('refuses a dialer claiming the listener own id', () => {
    const r = run(Handshake.dial({ id: 2, secret: 's' }, 2), Handshake.accept({ id: 2, secret: 's' }));
    expect(r.listener.status === 'refused' && r.listener.reason).to.match(/bad dialer node id 2/);
  });

  it('rejects a replayed proof (fresh nonces per handshake)', () => {
    // Record a successful dialer PROOF, then replay it against a new listener.
    const dialer = Handshake.dial({ id: 1, secret: 's' }, 2);
    const hello = unframe(dialer.start());
    const first = Handshake.accept({ id: 2, secret: 's' });
    const challenge = unframe(first.receive(hello[0][0], hello[0][1]).send);
    const proof = unframe(dialer.receive(challenge[0][0], challenge[0][1]).send);
    expect(proof[0][0]).to.equal(HandshakeCode.Proof);

    const second = Handshake.accept({ id: 2, secret: 's' });
    second.receive(hello[0][0], hello[0][1]);
    const replay = second.receive(proof[0][0], proof[0][1]);
    expect(replay.status).to.equal('refused');
    expect(first.receive(proof[0][0], proof[0][1]).status).to.equal('done');
  });

  it('refuses a listener whose proof is wrong (it does not know the secret)', () => {
    const dialer = Handshake.dial({ id: 1, secret: 's' }, 2);
    const listener = Handshake.accept({ id: 2, secret: 's' });
    const hello = unframe(dialer.start());
    const challenge = unframe(listener.receive(hello[0][0], hello[0][1]).send);
    dialer.receive(challenge[0][0], challenge[0][1]);
    const forged = dialer.receive(HandshakeCode.Accept, Buffer.alloc(32, 1));
    expect(forged.status === 'refused' && forged.reason).to.match(/cluster secret mismatch \(the listener proof is wrong\)/);
    expect(unframe(forged.send)[0][0]).to.equal(HandshakeCode.Refuse);
  });

  it('refuses frames out of order and malformed frames', () => {
    const listener = Handshake.accept({ id: 2, secret: 's' });
    expect(listener.receive(HandshakeCode.Proof, Buffer.alloc(32)).status).to.equal('refused');
    const other = Handshake.accept({ id: 2, secret: 's' });
    const r = other.receive(HandshakeCode.Hello, Buffer.of(1, 1));
    expect(r.status === 'refused' && r.reason).to.match(/malformed handshake frame/);
  });

  it('carries the dialer lane to the listener, and both proofs cover it', () => {
    const r = run(Handshake.dial({ id: 1, secret: 's' }, 2, Lane.Control), Handshake.accept({ id: 2, secret: 's' }));
    expect(r.listener).to.include({ status: 'done', peerId: 1, lane: Lane.Control });
    expect(r.dialer).to.include({ status: 'done', peerId: 2, lane: Lane.Control });
    expect(run(Handshake.dial({ id: 1, secret: 's' }, 2), Handshake.accept({ id: 2, secret: 's' })).listener).to.include({ lane: Lane.Data });
    // A HELLO whose lane was changed on the way fails the dialer proof.
    const dialer = Handshake.dial({ id: 1, secret: 's' }, 2, Lane.Control);
    const hello = unframe(dialer.start())[0][1];
    const tampered = Buffer.from(hello);
    tampered[3] = Lane.Data; // version, dialer id, expected id, lane: one byte each here
    const listener = Handshake.accept({ id: 2, secret: 's' });
    const challenge = unframe(listener.receive(HandshakeCode.Hello, tampered).send);
    const proof = unframe(dialer.receive(challenge[0][0], challenge[0][1]).send);
    const verdict = listener.receive(proof[0][0], proof[0][1]);
    expect(verdict.status === 'refused' && verdict.reason).to.match(/cluster secret mismatch/);
  });

  it('refuses a version 1 dialer and an unknown lane, saying why', () => {
    const nonce = Buffer.alloc(32, 7);
    const v1 = Handshake.accept({ id: 2, secret: 's' }).receive(HandshakeCode.Hello, Buffer.concat([Buffer.of(1, 1, 2), nonce]));
    expect(v1.status === 'refused' && v1.reason).to.equal('protocol version 1 not supported (this node speaks 2)');
    const lane = Handshake.accept({ id: 2, secret: 's' }).receive(HandshakeCode.Hello, Buffer.concat([Buffer.of(2, 1, 2, 9), nonce]));
    expect(lane.status === 'refused' && lane.reason).to.equal('unknown lane 9');
  });

  it('refuses to start without a secret', () => {
    expect(() => Handshake.accept({ id: 1, secret: '' })).to.throw(/secret/);
  });
});
