/** The Raft core's public API: a pure, deterministic state machine (see rawnode.ts). */
export * from './types';
export { RaftNode } from './rawnode';
export { seededRandom } from './random';
export {
  applyConfChangeTo,
  ConfChangeError,
  decodeConfChange,
  emptyConfState,
  encodeConfChange,
  isJoint,
  members,
} from './confchange';
export { defaultRaftConfig } from './defaults';
