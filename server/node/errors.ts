/** The driver's error replies: refusals from the Raft core, a refusing disk, a forward left unanswered. */
import { ErrorReply } from '../../protocol/reply';
import { errClusterDown, errTryAgain } from '../../protocol/errors';
import { RaftError } from '../raft';
import type { Logger } from '../log';

/** What every "outcome unknown" reply says (clients and server/blocked-clients.ts recognise it by this). */
export const OUTCOME_UNKNOWN = 'may or may not have been applied';
export const ERR_OUTCOME_UNKNOWN = errTryAgain(`no reply from the leader in time; the write ${OUTCOME_UNKNOWN}`);
/** A forwarded write resent after a leader change was refused by the new leader; the old one may have applied it. */
export const ERR_OUTCOME_UNKNOWN_FAILOVER = errTryAgain(`leadership changed while the write was in flight; it ${OUTCOME_UNKNOWN}`);

export function misconf(err: Error): ErrorReply {
  const reason = err.message.replace(/[\r\n]+/g, ' ');
  return new ErrorReply(
    `MISCONF Errors writing to the data directory (${reason}). Commands that may modify the data set are disabled until the disk accepts writes again; reads are still served.`,
  );
}

/** The client-facing reply for an error the core threw (an unexpected one is logged). */
export function raftErrorReply(e: unknown, log: Logger): ErrorReply {
  if (e instanceof RaftError) {
    switch (e.code) {
      case 'not-leader':
        return e.leader ? errTryAgain(`not the leader (leader is node ${e.leader})`) : errClusterDown('no leader');
      case 'uncommitted-limit':
        return errTryAgain('too many writes in flight; retry');
      case 'transfer-in-progress':
        return errTryAgain('leadership transfer in progress');
      case 'conf-change-pending':
        return new ErrorReply('ERR a membership change is already in progress');
      default:
        return new ErrorReply(`ERR ${e.message}`);
    }
  }
  log.error({ err: e }, 'unexpected error from the raft core');
  return new ErrorReply('ERR internal error');
}
