import { ErrorReply } from '../../protocol/reply';

/** Redis-worded errors used only by data commands (the shared ones live in protocol/errors.ts). */

export const ERR_DECR_OVERFLOW = new ErrorReply('ERR decrement would overflow');
export const ERR_INVALID_CURSOR = new ErrorReply('ERR invalid cursor');
export const ERR_SAME_OBJECT = new ErrorReply('ERR source and destination objects are the same');
export const ERR_FIRST_DB = new ErrorReply('ERR invalid first DB index');
export const ERR_SECOND_DB = new ErrorReply('ERR invalid second DB index');
export const ERR_EXPIRE_NX = new ErrorReply('ERR NX and XX, GT or LT options at the same time are not compatible');
export const ERR_EXPIRE_GT_LT = new ErrorReply('ERR GT and LT options at the same time are not compatible');

export function errUnsupportedOption(opt: Buffer): ErrorReply {
  return new ErrorReply(`ERR Unsupported option ${opt.toString('latin1')}`);
}
