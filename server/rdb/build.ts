/**
 * A decoded payload turned into a keyspace value through each type's
 * ordinary constructor and mutators, so a restored value has exactly the
 * encoding, byte accounting and pending element records of one built by
 * commands (Redis re-judges the encoding of what it loads by the same
 * thresholds: rdbLoadObject converts as it goes).
 */
import { copiedString, type Value } from '../keyspace/object';
import { ListValue } from '../keyspace/list';
import { HashValue } from '../keyspace/hash';
import { MAX_SET_MEMBERS, SetValue } from '../keyspace/set';
import { ZSetValue } from '../keyspace/zset';
import { fail } from './format';
import type { DecodedValue } from './decode';
import { buildStream } from './stream';

export function buildValue(d: DecodedValue): Value {
  switch (d.type) {
    case 'string':
      return copiedString(d.value);
    case 'list':
      return ListValue.from(d.items);
    case 'set': {
      if (d.members.length > MAX_SET_MEMBERS) fail('set too large');
      const s = new SetValue();
      for (const m of d.members) s.add(m);
      return s;
    }
    case 'hash': {
      const h = new HashValue();
      for (let i = 0; i < d.pairs.length; i += 2) h.set(d.pairs[i], d.pairs[i + 1]);
      return h;
    }
    case 'zset': {
      let maxLen = 0;
      for (const m of d.members) if (m.length > maxLen) maxLen = m.length;
      // Sized up front as Redis's loader decides (listpack only if every member fits).
      const z = ZSetValue.create(d.members.length, maxLen);
      d.members.forEach((m, i) => z.set(m, d.scores[i]));
      return z;
    }
    case 'stream':
      return buildStream(d.stream);
  }
}
