/**
 * LCS (Redis 7.0 t_string.c lcsCommand): the longest common subsequence of
 * two strings by the textbook dynamic-programming table, walked back from
 * the end exactly as Redis does, so that LCS, LEN and the IDX ranges (and
 * which of several equally long subsequences is chosen) match byte for byte.
 */
import { ErrorReply, MapReply, type Reply } from '../../protocol/reply';
import { ERR_NOT_INTEGER, ERR_SYNTAX } from '../../protocol/errors';
import { keyString } from '../keyspace';
import { lookupRead, type DataCommand } from './types';
import { arg, defineCommand, keyArg, pureToken } from './define';
import { isToken, parseInt64 } from './util';
import { MAX_STRING_LENGTH } from './string';

const ERR_NOT_STRINGS = new ErrorReply('ERR The specified keys must contain string values');
const ERR_LEN_AND_IDX = new ErrorReply('ERR If you want both the length and indexes, please just use IDX.');
const ERR_TOO_LONG = new ErrorReply('ERR String too long for LCS');
const ERR_TABLE_TOO_BIG = new ErrorReply('ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len');

const EMPTY = Buffer.alloc(0);
const UINT32_MAX = 0xffffffff;

/**
 * The reply for strings a and b. `maxTable` is proto-max-bulk-len: Redis
 * refuses when the uint32 table ((|a|+1)*(|b|+1)*4 bytes) would exceed it.
 */
export function lcsReply(
  a: Buffer,
  b: Buffer,
  opts: { getlen: boolean; getidx: boolean; withmatchlen: boolean; minmatchlen: number },
  maxTable = MAX_STRING_LENGTH,
): Reply {
  const { getlen, getidx, withmatchlen, minmatchlen } = opts;
  if (a.length >= UINT32_MAX - 1 || b.length >= UINT32_MAX - 1) return ERR_TOO_LONG;
  const alen = a.length;
  const blen = b.length;
  const w = blen + 1;
  if ((alen + 1) * w * 4 > maxTable) return ERR_TABLE_TOO_BIG;
  // LCS[i][j] = length of the LCS of a[0..i-1] and b[0..j-1], row-major.
  const lcs = new Uint32Array((alen + 1) * w);
  for (let i = 1; i <= alen; i++) {
    const ai = a[i - 1];
    const row = i * w;
    const prev = row - w;
    for (let j = 1; j <= blen; j++) {
      if (ai === b[j - 1]) lcs[row + j] = lcs[prev + j - 1] + 1;
      else {
        const l1 = lcs[prev + j];
        const l2 = lcs[row + j - 1];
        lcs[row + j] = l1 > l2 ? l1 : l2;
      }
    }
  }
  const total = lcs[alen * w + blen];
  const computelcs = getidx || !getlen;
  const result = computelcs ? Buffer.allocUnsafe(total) : EMPTY;
  const matches: Reply[] = [];
  let idx = total;
  // alen in arangeStart means "no range open".
  let arangeStart = alen;
  let arangeEnd = 0;
  let brangeStart = 0;
  let brangeEnd = 0;
  let i = alen;
  let j = blen;
  while (computelcs && i > 0 && j > 0) {
    let emit = false;
    if (a[i - 1] === b[j - 1]) {
      result[idx - 1] = a[i - 1];
      if (arangeStart === alen) {
        arangeStart = i - 1;
        arangeEnd = i - 1;
        brangeStart = j - 1;
        brangeEnd = j - 1;
      } else if (arangeStart === i && brangeStart === j) {
        // Contiguous with the open range: extend it backwards.
        arangeStart--;
        brangeStart--;
      } else {
        emit = true;
      }
      if (arangeStart === 0 || brangeStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      const l1 = lcs[(i - 1) * w + j];
      const l2 = lcs[i * w + j - 1];
      if (l1 > l2) i--;
      else j--;
      if (arangeStart !== alen) emit = true;
    }
    if (emit) {
      const matchLen = arangeEnd - arangeStart + 1;
      if (getidx && (minmatchlen === 0 || matchLen >= minmatchlen)) {
        const m: Reply[] = [
          [arangeStart, arangeEnd],
          [brangeStart, brangeEnd],
        ];
        if (withmatchlen) m.push(matchLen);
        matches.push(m);
      }
      arangeStart = alen;
    }
  }
  if (getidx) {
    return new MapReply([
      [Buffer.from('matches'), matches],
      [Buffer.from('len'), total],
    ]);
  }
  if (getlen) return total;
  return result;
}

const lcs = defineCommand({
  name: 'lcs',
  arity: -3,
  flags: ['readonly'],
  keys: [1, 2, 1],
  acl: ['@read', '@string', '@slow'],
  doc: {
    summary: 'Finds the longest common substring.',
    since: '7.0.0',
    group: 'string',
    complexity: 'O(N*M) where N and M are the lengths of s1 and s2, respectively',
    arguments: [
      keyArg('key1'),
      keyArg('key2'),
      pureToken('len', 'LEN', { optional: true }),
      pureToken('idx', 'IDX', { optional: true }),
      arg('min-match-len', 'integer', { token: 'MINMATCHLEN', optional: true }),
      pureToken('withmatchlen', 'WITHMATCHLEN', { optional: true }),
    ],
  },
  // Redis checks the key types before parsing options.
  exec(ctx, argv) {
    const va = lookupRead(ctx, keyString(argv[1]));
    const vb = lookupRead(ctx, keyString(argv[2]));
    if ((va !== undefined && va.type !== 'string') || (vb !== undefined && vb.type !== 'string')) return ERR_NOT_STRINGS;
    const a = va === undefined ? EMPTY : va.value;
    const b = vb === undefined ? EMPTY : vb.value;
    let getlen = false;
    let getidx = false;
    let withmatchlen = false;
    let minmatchlen = 0;
    for (let j = 3; j < argv.length; j++) {
      const opt = argv[j];
      const more = argv.length - 1 - j;
      if (isToken(opt, 'idx')) getidx = true;
      else if (isToken(opt, 'len')) getlen = true;
      else if (isToken(opt, 'withmatchlen')) withmatchlen = true;
      else if (isToken(opt, 'minmatchlen') && more > 0) {
        const v = parseInt64(argv[j + 1]);
        if (v === null) return ERR_NOT_INTEGER;
        // Past 2^32 every match is shorter anyway; a number keeps the comparison simple.
        minmatchlen = v < 0 ? 0 : Math.min(Number(v), UINT32_MAX + 1);
        j++;
      } else return ERR_SYNTAX;
    }
    if (getidx && getlen) return ERR_LEN_AND_IDX;
    return lcsReply(a, b, { getlen, getidx, withmatchlen, minmatchlen });
  },
});

export const lcsCommands: DataCommand[] = [lcs];
