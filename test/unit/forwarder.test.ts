import { expect } from 'chai';
import pino from 'pino';
import { SimpleString } from '../../protocol/reply';
import { decodeForward, encodeForwardRequest } from '../../server/forwarding';
import { followerForwarding } from './forwarder-fixture';
import { Forwarder, type ForwarderNode } from '../../server/node/forwarder';
import { Role } from '../../server/raft';
import type { Frame } from '../../server/transport/frames';
import type { PeerTransport } from '../../server/transport/peer-transport';

/**
 * The leader's side of a forwarded write: its reply goes back over the peer
 * link, which refuses frames while it is full (the leader streaming a huge
 * entry to that same follower). A refused reply must be retried, not dropped:
 * dropped, the follower's client waited until write-timeout-ms
 * ("no reply from the leader in time") for a 70 MB SET sent to a follower.
 */
describe('forwarder: replies to forwarded writes', () => {
  function leaderWith(accepts: () => boolean) {
    const sent: Array<{ to: number; frame: Frame }> = [];
    const transport = {
      send: (to: number, frame: Frame) => {
        if (!accepts()) return false;
        sent.push({ to, frame });
        return true;
      },
    } as unknown as PeerTransport;
    const node: ForwarderNode = { id: 1, log: pino({ level: 'silent' }), transport, role: Role.Leader, leader: 1, lastTerm: 4 };
    const f = new Forwarder(node, { writeTimeoutMs: 1000, waitApplied: (_i, fn) => fn(), onProbe: () => undefined });
    f.setForwardHandler((_db, _argv, done) => done(new SimpleString('OK'), 7));
    const request = (reqId: number) =>
      encodeForwardRequest({ reqId, term: 4, clientId: 99, ackedBelow: reqId, proto: 2, db: 0, argv: [Buffer.from('SET'), Buffer.from('k'), Buffer.from('v')] });
    const replies = () => sent.map((s) => decodeForward((s.frame as { payload: Uint8Array }).payload)).map((m) => (m.kind === 'reply' ? m.reqId : -1));
    return { f, request, replies, sent };
  }

  it('retries a reply the full link refused, on the next tick, in order', () => {
    let open = false;
    const { f, request, replies } = leaderWith(() => open);
    f.onForward(2, request(1));
    f.onForward(2, request(2));
    expect(replies()).to.deep.equal([]);
    f.retryUnsentForwards();
    expect(replies(), 'still full').to.deep.equal([]);
    open = true;
    // A later reply must not overtake the waiting ones.
    f.onForward(2, request(3));
    expect(replies()).to.deep.equal([]);
    f.retryUnsentForwards();
    expect(replies()).to.deep.equal([1, 2, 3]);
  });

  it('sends at once when the link takes it, and gives up on a reply past twice the write timeout', async () => {
    let open = true;
    const { f, request, replies } = leaderWith(() => open);
    f.onForward(2, request(1));
    expect(replies()).to.deep.equal([1]);
    open = false;
    f.onForward(2, request(2));
    await new Promise((r) => setTimeout(r, 2100));
    open = true;
    f.retryUnsentForwards();
    expect(replies()).to.deep.equal([1]);
  });
});

/**
 * The follower's side: a write handed to leader A, then resent to leader B
 * after a leader change (same request id). A refusal from B (-TRYAGAIN not
 * the leader, -CLUSTERDOWN) says nothing about A, which may have committed
 * it: the client must hear "may or may not", never "not applied". (Found by
 * the fault suite: an INCR answered "-TRYAGAIN not the leader" had applied.)
 */
describe('forwarder: outcome of a write resent after a leader change', () => {
  const followerOf = () => followerForwarding({ argv: ['INCR', 'n'] });

  it('a refusal from the first leader it reached stands (nothing else can have applied it)', () => {
    const { sent, replies, answerLast } = followerOf();
    expect(sent.map((s) => s.to)).to.deep.equal([1]);
    answerLast(1, '-TRYAGAIN not the leader (leader is node 2)\r\n');
    expect(replies).to.deep.equal(['-TRYAGAIN not the leader (leader is node 2)\r\n']);
  });

  for (const refusal of ['-TRYAGAIN not the leader (leader is node 1)\r\n', '-CLUSTERDOWN no leader\r\n', '-MISCONF Errors writing to the data directory (x).\r\n']) {
    it(`a refusal after a resend is "may or may not": ${refusal.trim()}`, () => {
      const { sent, replies, answerLast, failover } = followerOf();
      failover(2);
      expect(sent.map((s) => s.to)).to.deep.equal([1, 2]);
      answerLast(2, refusal);
      expect(replies).to.have.length(1);
      expect(replies[0]).to.match(/^-TRYAGAIN .*may or may not have been applied/);
    });
  }

  it('a command reply after a resend stands (the leader answers a duplicate from its cache)', () => {
    const { replies, answerLast, failover } = followerOf();
    failover(2);
    answerLast(2, ':5\r\n');
    expect(replies).to.deep.equal([':5\r\n']);
  });
});
