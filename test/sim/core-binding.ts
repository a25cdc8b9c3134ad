import { RaftNode, decodeConfChange, encodeConfChange } from '../../server/raft';
import type { CoreBinding, SimCore } from './node-adapter';

/** The real core (server/raft RaftNode) behind the simulator's SimCore seam. */
export const coreBinding: CoreBinding = {
  create(boot): SimCore {
    const node = new RaftNode(boot.config, boot.log, boot.hardState);
    return {
      tick: () => node.tick(),
      step: (m) => node.step(m),
      propose: (data) => node.propose(data),
      proposeConfChange: (cc) => {
        node.proposeConfChange(cc);
      },
      readIndex: (ctx) => node.readIndex(ctx),
      leaseRead: () => node.leaseRead(),
      transferLeader: (to) => node.transferLeader(to),
      hasReady: () => node.hasReady(),
      ready: () => node.ready(),
      advance: (rd) => node.advance(rd),
      applyConfChange: (cc) => node.applyConfChange(cc),
      reportSnapshot: (to, ok) => node.reportSnapshot(to, ok),
      status: () => {
        const s = node.status();
        return { term: s.term, vote: s.vote, commit: s.commit, role: s.role, leader: s.leader };
      },
    };
  },
  encodeConfChange,
  decodeConfChange,
};
