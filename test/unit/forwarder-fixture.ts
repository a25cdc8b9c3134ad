import pino from 'pino';
import { ErrorReply, RawReply, type Reply } from '../../protocol/reply';
import { decodeForward, encodeForwardReply } from '../../server/forwarding';
import { Forwarder } from '../../server/node/forwarder';
import { Role } from '../../server/raft';
import type { Frame } from '../../server/transport/frames';
import type { PeerTransport } from '../../server/transport/peer-transport';

/** A reply as the client would read it on the wire (RESP2 text). */
export function replyText(r: Reply): string {
  return r instanceof RawReply ? r.bytes.toString() : r instanceof ErrorReply ? `-${r.message}\r\n` : String(r);
}

/**
 * Node 3, a follower of `leader`, forwarding one client request `argv`
 * (blocking when `longWait`). Records the requests it sends and the replies
 * its client gets; `answer` delivers a leader's reply frame, `failover` moves
 * the leadership and lets the forwarder resend.
 */
export function followerForwarding(opts: { argv: string[]; leader?: number; longWait?: boolean }) {
  const sent: Array<{ to: number; reqId: number; argv: string[] }> = [];
  const transport = {
    send: (to: number, frame: Frame) => {
      const m = decodeForward((frame as { payload: Uint8Array }).payload);
      if (m.kind === 'request') sent.push({ to, reqId: m.reqId, argv: m.argv.map((a) => a.toString('latin1')) });
      return true;
    },
  } as unknown as PeerTransport;
  const node = { id: 3, log: pino({ level: 'silent' }), transport, role: Role.Follower, leader: opts.leader ?? 1, lastTerm: 4 };
  const f = new Forwarder(node, { writeTimeoutMs: 5000, waitApplied: (_i, fn) => fn(), onProbe: () => undefined });
  const replies: string[] = [];
  const argv = opts.argv.map((a) => Buffer.from(a));
  if (opts.longWait) f.forward(0, argv, 2, (r) => replies.push(replyText(r)), 60000, true);
  else f.forward(0, argv, 2, (r) => replies.push(replyText(r)));
  const answer = (from: number, reqId: number, resp: string, index = 0) => f.onForward(from, encodeForwardReply({ reqId, index, resp: Buffer.from(resp) }));
  /** Answers the request sent last. */
  const answerLast = (from: number, resp: string, index = 0) => answer(from, sent[sent.length - 1].reqId, resp, index);
  const failover = (to: number) => {
    node.leader = to;
    f.onLeaderChange(to);
    f.retryUnsentForwards();
  };
  return { f, node, sent, replies, answer, answerLast, failover };
}
