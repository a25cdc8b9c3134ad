import { MessageType, Role, type ReadState, type Ready } from '../../server/raft/types';
import { SimDisk } from './disk';
import { wrapBinding, type CoreBinding, type SimCore } from './node-adapter';

/**
 * Deliberately broken cores, built by wrapping a correct one. The simulator's
 * own tests run them to prove each invariant check can fail: a checker that
 * never fires proves nothing.
 */

/** Grants every (pre-)vote request, even a second one in the same term or to a stale log. */
export function grantEveryVote(base: CoreBinding): CoreBinding {
  return wrapBinding(base, (core) =>
    override(core, {
      ready: (): Ready => {
        const rd = core.ready();
        for (const m of rd.messages) {
          if (m.type === MessageType.VoteResp || m.type === MessageType.PreVoteResp) m.reject = false;
        }
        return rd;
      },
    }),
  );
}

/** Forgets its vote on restart, as if the driver never persisted it: it can vote twice in one term. */
export function forgetVoteOnRestart(base: CoreBinding): CoreBinding {
  return {
    ...base,
    create: (boot) => base.create({ ...boot, hardState: { ...boot.hardState, vote: 0 } }),
  };
}

/**
 * Answers ReadIndex at once with its own commit index, on any node, without
 * confirming leadership: followers and deposed leaders serve stale reads.
 */
export function readIndexWithoutQuorum(base: CoreBinding): CoreBinding {
  return wrapBinding(base, (core) => {
    const answered: ReadState[] = [];
    return override(core, {
      readIndex: (ctx: Uint8Array): void => {
        answered.push({ index: core.status().commit, context: ctx });
      },
      hasReady: (): boolean => answered.length > 0 || core.hasReady(),
      ready: (): Ready => {
        const rd: Ready = core.hasReady()
          ? core.ready()
          : { entries: [], committedEntries: [], messages: [], readStates: [], mustSync: false };
        rd.readStates = [...rd.readStates, ...answered.splice(0)];
        return rd;
      },
      advance: (rd: Ready): void => {
        if (rd.entries.length || rd.committedEntries.length || rd.messages.length || rd.hardState || rd.snapshot || rd.softState) {
          core.advance(rd);
        }
      },
    });
  });
}

/** Corrupts the data of entries it replicates to one peer (node 2), as a buggy encoder would. */
export function corruptEntriesToNode2(base: CoreBinding): CoreBinding {
  return wrapBinding(base, (core) =>
    override(core, {
      ready: (): Ready => {
        const rd = core.ready();
        rd.messages = rd.messages.map((m) =>
          m.type === MessageType.App && m.to === 2 && m.entries.length > 0
            ? { ...m, entries: m.entries.map((e) => ({ ...e, data: Uint8Array.from([...e.data, 0xee]) })) }
            : m,
        );
        return rd;
      },
    }),
  );
}

/** Serves lease reads on any node that believes it leads, without a valid lease. */
export function leaseWithoutExpiry(base: CoreBinding): CoreBinding {
  return wrapBinding(base, (core) =>
    override(core, {
      leaseRead: (): number | undefined => {
        const st = core.status();
        return st.role === Role.Leader ? st.commit : undefined;
      },
    }),
  );
}

/**
 * Acknowledges entries before they are durable: on restart the log has lost
 * everything after the persisted commit index, although this node's
 * acknowledgements may have counted toward committing it.
 */
export function loseUnsyncedTailOnRestart(base: CoreBinding): CoreBinding {
  return {
    ...base,
    create: (boot) => {
      if (boot.log instanceof SimDisk) boot.log.loseTailAfter(boot.hardState.commit);
      return base.create(boot);
    },
  };
}

function override(core: SimCore, methods: Partial<SimCore>): SimCore {
  return {
    tick: () => core.tick(),
    step: (m) => core.step(m),
    propose: (d) => core.propose(d),
    proposeConfChange: (cc) => core.proposeConfChange(cc),
    readIndex: (ctx) => core.readIndex(ctx),
    leaseRead: () => core.leaseRead(),
    transferLeader: (to) => core.transferLeader(to),
    hasReady: () => core.hasReady(),
    ready: () => core.ready(),
    advance: (rd) => core.advance(rd),
    applyConfChange: (cc) => core.applyConfChange(cc),
    reportSnapshot: (to, ok) => core.reportSnapshot(to, ok),
    status: () => core.status(),
    ...methods,
  };
}
