/**
 * The keyspace: databases of typed values (database.ts), the value model
 * (object.ts), the durable record layout (records.ts) and one module per
 * collection type, each registering itself for restore on import.
 */
import './set';
export * from './database';
export * from './object';
import './zset';
export {
  ELEMENT_DB,
  RESERVED_DB,
  MEMBERS_KEY,
  SESSIONS_KEY,
  elementRecordKey,
  decodeElementRecordKey,
  type StoreRecord,
} from './records';
import './hash';
import './list';
import './stream';
