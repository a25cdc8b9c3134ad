/**
 * The one owner of the durable keyspace copy's record layout (the snapshot).
 * Every record key starts with a byte that says what it holds:
 *
 *   [db 0..15][key bytes]          a key:  [type u8][expireAt f64, -1 = none][version f64][payload]
 *                                  or, for a deadline past 2^53 ms (not exact as an f64): type | 0x80,
 *                                  then [expireAt f64 (rounded)][version f64][exact deadline i64][payload]
 *                                  payload: string -> its bytes; collection -> [collection id f64]
 *                                  type 0 = tombstone (no payload), 1 = string, 2.. = TYPE_CODES
 *   [ELEMENT_DB][id u64][sub-key]  one element record of a collection (layout owned by its module)
 *   [SCRIPT_DB][sha1 hex]          a cached Lua script: its body
 *   [LOCK_DB][lock name]           a distributed lock (server/locks.ts encodes the value)
 *   [ACL_DB][user name]            an ACL user: its ACL LIST line (server/acl/table.ts)
 *   [FUNCTION_DB][library name]    a function library (server/scripting/functions-table.ts encodes the value)
 *   [RESERVED_DB]['m'] / ['s']     the node driver's members and client sessions (it encodes the values)
 *   [META_DB]                      [db count u8][versionFloor f64 x n][writeFloor f64 x n][next collection id f64]
 *
 * All numbers big-endian. Element records of a collection are found by its
 * id, not its key, so RENAME, MOVE and SWAPDB rewrite only key records.
 */
export const META_DB = 0xff;
/** Reserved for the node driver's records (server/node/keyspace-copy.ts: members, sessions). */
export const RESERVED_DB = 0xfe;
export const SCRIPT_DB = 0xfd;
export const ELEMENT_DB = 0xfc;
export const LOCK_DB = 0xfb;
export const FUNCTION_DB = 0xfa;
export const ACL_DB = 0xf9;

/** The node driver's records: cluster members' addresses, and the state machine's client sessions (dedupe). */
export const MEMBERS_KEY = Buffer.from([RESERVED_DB, 0x6d]);
export const SESSIONS_KEY = Buffer.from([RESERVED_DB, 0x73]);

export const TYPE_TOMBSTONE = 0;
export const TYPE_STRING = 1;
export const RECORD_HEADER = 17;
/** "No deadline" in key records. */
export const NO_EXPIRE = -1;
/** Type-byte flag: an exact int64 deadline follows the header (records before it never set the bit). */
const EXACT_DEADLINE = 0x80;

/**
 * An expiry deadline in ms: a number while it is a safe integer (every
 * deadline a real clock reaches), a bigint past 2^53 so that PEXPIRETIME
 * and friends answer Redis's exact int64 (PEXPIREAT k 9223372036854775807).
 */
export type Deadline = number | bigint;

/** The canonical form: bigint only when a number would not be exact. */
export function deadline(d: Deadline): Deadline {
  if (typeof d === 'number') return d;
  return d <= BigInt(Number.MAX_SAFE_INTEGER) && d >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(d) : d;
}

export interface StoreRecord {
  key: Buffer;
  value: Buffer;
}

export function keyRecordKey(db: number, key: string): Buffer {
  const out = Buffer.allocUnsafe(1 + key.length);
  out[0] = db;
  out.write(key, 1, 'latin1');
  return out;
}

/**
 * A key record's value with room for `payloadLength` bytes at its end
 * (write them at `length - payloadLength`: an exact deadline lengthens the header).
 */
export function keyRecordValue(type: number, expireAt: Deadline, version: number, payloadLength: number): Buffer {
  const exact = typeof expireAt === 'bigint';
  const buf = Buffer.allocUnsafe(RECORD_HEADER + (exact ? 8 : 0) + payloadLength);
  buf[0] = exact ? type | EXACT_DEADLINE : type;
  buf.writeDoubleBE(Number(expireAt), 1);
  buf.writeDoubleBE(version, 9);
  if (exact) buf.writeBigInt64BE(expireAt, RECORD_HEADER);
  return buf;
}

export interface DecodedKeyRecord {
  type: number;
  expireAt: Deadline;
  version: number;
  payload: Buffer;
}

export function decodeKeyRecord(value: Buffer): DecodedKeyRecord {
  if (value.length < RECORD_HEADER) throw new RangeError('record value truncated');
  const version = value.readDoubleBE(9);
  if ((value[0] & EXACT_DEADLINE) !== 0) {
    if (value.length < RECORD_HEADER + 8) throw new RangeError('record value truncated');
    const expireAt = deadline(value.readBigInt64BE(RECORD_HEADER));
    return { type: value[0] & ~EXACT_DEADLINE, expireAt, version, payload: value.subarray(RECORD_HEADER + 8) };
  }
  return { type: value[0], expireAt: value.readDoubleBE(1), version, payload: value.subarray(RECORD_HEADER) };
}

/** Collection ids are integers below 2^53, written as two u32 so keys sort by id. */
export function elementRecordKey(id: number, subkey: string): Buffer {
  const out = Buffer.allocUnsafe(9 + subkey.length);
  out[0] = ELEMENT_DB;
  out.writeUInt32BE(Math.floor(id / 0x100000000), 1);
  out.writeUInt32BE(id >>> 0, 5);
  out.write(subkey, 9, 'latin1');
  return out;
}

/** Decodes an element record key starting at `start` of `key`. */
export function decodeElementRecordKey(key: Buffer, start = 0): { id: number; subkey: string } {
  if (key.length < start + 9 || key[start] !== ELEMENT_DB) throw new RangeError('not an element record');
  return { id: key.readUInt32BE(start + 1) * 0x100000000 + key.readUInt32BE(start + 5), subkey: key.toString('latin1', start + 9) };
}
