import { EMBSTR_LIMIT, type StringEncoding, type StringValue } from '../keyspace';
import { parseInt64, type Int64 } from './util';

/** Redis shares the integers 0..9999 (OBJ_SHARED_INTEGERS; refcount INT_MAX). */
export const OBJ_SHARED_INTEGERS = 10000;

/**
 * OBJECT ENCODING of a string value and whether Redis would hold it as a
 * shared integer: the writer's explicit encoding (object.ts StringEncoding),
 * else Redis's tryObjectEncoding on the bytes (string2l on at most 20 bytes:
 * int, shared when 0..9999; else embstr up to 44 bytes, raw past that).
 */
export function stringObjectEncoding(v: StringValue): { encoding: StringEncoding; shared: boolean } {
  if (v.encoding !== undefined) return { encoding: v.encoding, shared: false };
  const int: Int64 | null = v.length <= 20 ? parseInt64(v.value) : null;
  if (int !== null) return { encoding: 'int', shared: int >= 0 && int < OBJ_SHARED_INTEGERS };
  return { encoding: v.length <= EMBSTR_LIMIT ? 'embstr' : 'raw', shared: false };
}

/** What createStringObject gives these bytes (INCRBYFLOAT's result): embstr up to 44 bytes, else raw. */
export function createdStringEncoding(b: Buffer): StringEncoding {
  return b.length <= EMBSTR_LIMIT ? 'embstr' : 'raw';
}
