import { ConfChangeType } from './types';
import type { ConfChange, ConfChangeSingle, ConfState, NodeId } from './types';

/**
 * Membership changes, pure: ConfState in, ConfState out (etcd-io/raft confchange/).
 *
 * We implement JOINT CONSENSUS (Raft thesis §4.3), plus direct single-voter
 * changes, rather than single-server changes only, because:
 *  - replacing a member (add D, remove C) or demoting a voter to a learner
 *    in one atomic step never passes through a smaller majority: while the
 *    joint config C_old,new is in force every decision (commit, election,
 *    lease, ReadIndex) needs a majority of C_old AND of C_new;
 *  - single-server changes are only safe with extra care around leader
 *    changes (the bug Ongaro reported in 2015: a new leader must commit an
 *    entry of its term before proposing a change). Here a new leader cannot
 *    propose a conf change until everything it inherited is applied, and its
 *    no-op comes first, which also covers the single-change path.
 *  - the ConfState contract already carries joint fields, like etcd's.
 * In every mode at most one conf change is in flight: the leader refuses a new
 * one until the previous one is applied (RaftError 'conf-change-pending').
 * A change takes effect when its entry is APPLIED (the driver calls
 * RaftNode.applyConfChange), as in etcd; a joint config is left by an
 * automatic empty ConfChange the leader proposes once the joint one is applied.
 */

export class ConfChangeError extends Error {}

interface Draft {
  incoming: Set<NodeId>;
  outgoing: Set<NodeId>;
  learners: Set<NodeId>;
  learnersNext: Set<NodeId>;
  autoLeave: boolean;
}

function draftOf(cs: ConfState): Draft {
  return {
    incoming: new Set(cs.voters),
    outgoing: new Set(cs.votersOutgoing),
    learners: new Set(cs.learners),
    learnersNext: new Set(cs.learnersNext),
    autoLeave: cs.autoLeave,
  };
}

const sorted = (s: Set<NodeId>): NodeId[] => [...s].sort((a, b) => a - b);

function stateOf(d: Draft): ConfState {
  return {
    voters: sorted(d.incoming),
    learners: sorted(d.learners),
    votersOutgoing: sorted(d.outgoing),
    learnersNext: sorted(d.learnersNext),
    autoLeave: d.autoLeave,
  };
}

export function isJoint(cs: ConfState): boolean {
  return cs.votersOutgoing.length > 0;
}

/** Every member (voters of both halves and learners), sorted. */
export function members(cs: ConfState): NodeId[] {
  return sorted(new Set([...cs.voters, ...cs.votersOutgoing, ...cs.learners, ...cs.learnersNext]));
}

export function emptyConfState(): ConfState {
  return { voters: [], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };
}

export function cloneConfState(cs: ConfState): ConfState {
  return {
    voters: [...cs.voters],
    learners: [...cs.learners],
    votersOutgoing: [...cs.votersOutgoing],
    learnersNext: [...cs.learnersNext],
    autoLeave: cs.autoLeave,
  };
}

/** Throws ConfChangeError unless the membership is internally consistent. */
export function checkConfState(cs: ConfState): void {
  const d = draftOf(cs);
  for (const id of d.learners) {
    if (d.incoming.has(id) || d.outgoing.has(id)) throw new ConfChangeError(`${id} is both learner and voter`);
  }
  for (const id of d.learnersNext) {
    if (!d.outgoing.has(id)) throw new ConfChangeError(`${id} is in learnersNext but not an outgoing voter`);
    if (d.learners.has(id)) throw new ConfChangeError(`${id} is in learners and learnersNext`);
  }
  if (d.outgoing.size === 0) {
    if (d.learnersNext.size > 0) throw new ConfChangeError('learnersNext set outside a joint config');
    if (d.autoLeave) throw new ConfChangeError('autoLeave set outside a joint config');
  }
  for (const id of members(cs)) {
    if (!Number.isSafeInteger(id) || id <= 0) throw new ConfChangeError(`invalid node id ${id}`);
  }
}

function applyChanges(d: Draft, changes: readonly ConfChangeSingle[]): void {
  for (const c of changes) {
    const id = c.node;
    if (!Number.isSafeInteger(id) || id <= 0) throw new ConfChangeError(`invalid node id ${id}`);
    switch (c.type) {
      case ConfChangeType.AddNode:
        d.incoming.add(id);
        d.learners.delete(id);
        d.learnersNext.delete(id);
        break;
      case ConfChangeType.AddLearner:
        if (d.learners.has(id)) break;
        d.incoming.delete(id);
        d.learnersNext.delete(id);
        // A voter of the outgoing half stays a voter until the joint config is left.
        if (d.outgoing.has(id)) d.learnersNext.add(id);
        else d.learners.add(id);
        break;
      case ConfChangeType.RemoveNode:
        d.incoming.delete(id);
        d.learners.delete(id);
        d.learnersNext.delete(id);
        break;
      default:
        throw new ConfChangeError(`unknown conf change type ${String(c.type)}`);
    }
  }
  if (d.incoming.size === 0) throw new ConfChangeError('removed all voters');
}

/** Apply changes directly; at most one voter may be added or removed. */
export function simpleChange(cs: ConfState, changes: readonly ConfChangeSingle[]): ConfState {
  if (isJoint(cs)) throw new ConfChangeError('can not apply a simple change in a joint config');
  const d = draftOf(cs);
  applyChanges(d, changes);
  let diff = 0;
  for (const id of d.incoming) if (!cs.voters.includes(id)) diff++;
  for (const id of cs.voters) if (!d.incoming.has(id)) diff++;
  if (diff > 1) throw new ConfChangeError('more than one voter changed without entering a joint config');
  return stateOf(d);
}

/** Enter the joint config C_old,new: outgoing = current voters, incoming = voters after the changes. */
export function enterJoint(cs: ConfState, autoLeave: boolean, changes: readonly ConfChangeSingle[]): ConfState {
  if (isJoint(cs)) throw new ConfChangeError('config is already joint');
  if (cs.voters.length === 0) throw new ConfChangeError('can not make a zero-voter config joint');
  const d = draftOf(cs);
  d.outgoing = new Set(d.incoming);
  applyChanges(d, changes);
  d.autoLeave = autoLeave;
  return stateOf(d);
}

/** Leave the joint config: outgoing voters not in incoming are dropped, learnersNext become learners. */
export function leaveJoint(cs: ConfState): ConfState {
  if (!isJoint(cs)) throw new ConfChangeError('can not leave a non-joint config');
  const d = draftOf(cs);
  for (const id of d.learnersNext) d.learners.add(id);
  d.learnersNext.clear();
  d.outgoing.clear();
  d.autoLeave = false;
  return stateOf(d);
}

/** A ConfChange that leaves the joint config (what the leader proposes automatically). */
export function isLeaveJoint(cc: ConfChange): boolean {
  return cc.leaveJoint === true || cc.changes.length === 0;
}

/** The ConfState after applying `cc` to `cs`; throws ConfChangeError when invalid. */
export function applyConfChangeTo(cs: ConfState, cc: ConfChange): ConfState {
  if (isLeaveJoint(cc)) return leaveJoint(cs);
  if (cc.joint === true || cc.changes.length > 1) return enterJoint(cs, true, cc.changes);
  return simpleChange(cs, cc.changes);
}

// ---- Encoding of ConfChange entries (EntryType.ConfChange data) ----
// [version u8 = 1][flags u8: 1 leaveJoint, 2 joint][count u32]
// count × [type u8][node f64][contextLength u32][context bytes]
const VERSION = 1;

export function encodeConfChange(cc: ConfChange): Uint8Array {
  const ctx = cc.context ?? new Uint8Array(0);
  const buf = new Uint8Array(6 + cc.changes.length * 9 + 4 + ctx.byteLength);
  const view = new DataView(buf.buffer);
  buf[0] = VERSION;
  buf[1] = (cc.leaveJoint === true ? 1 : 0) | (cc.joint === true ? 2 : 0);
  view.setUint32(2, cc.changes.length);
  let off = 6;
  for (const c of cc.changes) {
    buf[off] = c.type;
    view.setFloat64(off + 1, c.node);
    off += 9;
  }
  view.setUint32(off, ctx.byteLength);
  buf.set(ctx, off + 4);
  return buf;
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const fail = (why: string): never => {
    throw new ConfChangeError(`bad conf change encoding: ${why}`);
  };
  if (data.byteLength < 10 || data[0] !== VERSION) fail('header');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const flags = data[1]!;
  const n = view.getUint32(2);
  if (6 + n * 9 + 4 > data.byteLength) fail('truncated');
  const changes: ConfChangeSingle[] = [];
  let off = 6;
  for (let i = 0; i < n; i++) {
    const type = data[off]!;
    if (type > ConfChangeType.AddLearner) fail(`type ${type}`);
    changes.push({ type: type as ConfChangeType, node: view.getFloat64(off + 1) });
    off += 9;
  }
  const len = view.getUint32(off);
  if (off + 4 + len !== data.byteLength) fail('context length');
  const cc: ConfChange = { changes };
  if (flags & 1) cc.leaveJoint = true;
  if (flags & 2) cc.joint = true;
  if (len > 0) cc.context = data.slice(off + 4, off + 4 + len);
  return cc;
}
