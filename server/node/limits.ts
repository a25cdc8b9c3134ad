/** Size limits shared by proposing and forwarding writes. */
import { DEFAULT_MAX_MESSAGE_BYTES } from '../transport/frames';

/** The largest log entry: what a peer link carries (DEFAULT_MAX_MESSAGE_BYTES) less room for the message around it. */
export const MAX_ENTRY_BYTES = DEFAULT_MAX_MESSAGE_BYTES - 1024 * 1024;
