/**
 * Request inputs with what Redis 7 does with them (networking.c
 * processMultibulkBuffer/processInlineBuffer, sds.c sdssplitargs): the
 * commands it runs, then either a protocol error (after which it closes) or
 * nothing (it waits for more bytes, or the input ended cleanly).
 * Strings are latin1: one character per byte.
 */
export interface CorpusCase {
  name: string;
  input: string;
  commands: string[][];
  /** The protocol error, or null when Redis just waits / has nothing pending. */
  error: string | null;
  /** Redis keeps a partial request buffered (it waits for more bytes). */
  waits: boolean;
}

const INVALID_MB = 'ERR Protocol error: invalid multibulk length';
const INVALID_BULK = 'ERR Protocol error: invalid bulk length';
const UNBALANCED = 'ERR Protocol error: unbalanced quotes in request';
const expected = (c: string): string => `ERR Protocol error: expected '$', got '${c}'`;
const PING = '*1\r\n$4\r\nPING\r\n';

function ok(name: string, input: string, commands: string[][], waits = false): CorpusCase {
  return { name, input, commands, error: null, waits };
}
function err(name: string, input: string, error: string, commands: string[][] = []): CorpusCase {
  return { name, input, commands, error, waits: false };
}

export const CORPUS: CorpusCase[] = [
  // From Redis's own tests/unit/protocol.tcl.
  ok('empty query then PING', '\r\n' + PING, [['PING']]),
  ok('negative multibulk length is ignored', '*-10\r\n' + PING, [['PING']]),
  err('out of range multibulk length', '*3000000000\r\n', INVALID_MB),
  err('wrong multibulk payload header', '*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n', expected('f')),
  err('negative multibulk payload length', '*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n', INVALID_BULK),
  err('out of range multibulk payload length', '*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n', INVALID_BULK),
  err('non-number multibulk payload length', '*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n', INVALID_BULK),
  err('multi bulk request not followed by bulk arguments', '*1\r\nfoo\r\n', expected('f')),
  err('generic wrong number of args', '*blabla\r\n', INVALID_MB),

  // `*` count: string2ll rules and Redis 7's INT_MAX limit.
  ok('*0 is ignored', '*0\r\n' + PING, [['PING']]),
  ok('*-1 is ignored', '*-1\r\n' + PING, [['PING']]),
  ok('most negative 64-bit count is ignored', '*-9223372036854775808\r\n' + PING, [['PING']]),
  err('count below 64-bit range', '*-9223372036854775809\r\n', INVALID_MB),
  err('empty count', '*\r\n', INVALID_MB),
  err('count with plus sign', '*+1\r\n', INVALID_MB),
  err('count with leading zero', '*01\r\n', INVALID_MB),
  err('count -0', '*-0\r\n', INVALID_MB),
  err('count with leading space', '* 1\r\n', INVALID_MB),
  err('count with trailing space', '*1 \r\n', INVALID_MB),
  err('huge count', '*99999999999999\r\n', INVALID_MB),
  err('count just over INT_MAX', '*2147483648\r\n', INVALID_MB),
  ok('count of INT_MAX waits for its arguments', '*2147483647\r\n', [], true),
  ok('count of 20 million waits (Redis 7 allows up to INT_MAX)', '*20000000\r\n', [], true),
  err('count line ended by \\n only runs to the next \\r', '*1\n$4\r\nPING\r\n', INVALID_MB),

  // `$` length.
  err('bulk length with leading zero', '*1\r\n$01\r\nx\r\n', INVALID_BULK),
  err('empty bulk length', '*1\r\n$\r\n', INVALID_BULK),
  err('bulk length -1', '*1\r\n$-1\r\n', INVALID_BULK),
  err('bulk length -0', '*1\r\n$-0\r\n', INVALID_BULK),
  err('bulk length over proto-max-bulk-len', '*2\r\n$536870913\r\n', INVALID_BULK),
  ok('bulk length equal to proto-max-bulk-len waits', '*1\r\n$536870912\r\n', [], true),
  err('bulk length over 64 bits', '*1\r\n$99999999999999999999\r\n', INVALID_BULK),
  err('\\r where $ was expected shows as a space', '*1\r\n\r\n', expected(' ')),
  err('\\n where $ was expected shows as a space', '*1\r\n\n\r\n', expected(' ')),
  err('integer where $ was expected', '*1\r\n:1\r\n', expected(':')),
  err('nested array where $ was expected', '*2\r\n*1\r\n', expected('*')),
  err('simple string where $ was expected', '*1\r\n+OK\r\n', expected('+')),
  err('error found after earlier commands ran', PING + '*1\r\n$x\r\n', INVALID_BULK, [['PING']]),

  // Incomplete input: Redis waits.
  ok('count without \\r', '*1', [], true),
  ok('count with \\r but no byte after it', '*1\r', [], true),
  ok('bulk header without \\r', '*1\r\n$4', [], true),
  ok('bulk header with \\r but no byte after it', '*1\r\n$4\r', [], true),
  ok('payload without its trailing bytes', '*1\r\n$4\r\nPING', [], true),
  ok('payload with one trailing byte', '*1\r\n$4\r\nPING\r', [], true),
  ok('bad $ byte not yet followed by a line end', '*1\r\nfoo', [], true),
  ok('second request partial', PING + '*2\r\n$4\r\nECHO\r\n$2\r\nh', [['PING']], true),
  ok('inline without line end', 'PING', [], true),

  // Quirks Redis has: unchecked bytes after '\r' and after payloads.
  ok('byte after header \\r is not checked', '*1\r\n$4\rXPING\r\n', [['PING']]),
  ok('bytes after payload are not checked', '*1\r\n$4\r\nPINGxy', [['PING']]),

  // Binary payloads.
  ok('payload holding \\r\\n and NUL', '*3\r\n$3\r\nSET\r\n$2\r\nk\0\r\n$6\r\na\r\n\r\nb\r\n', [['SET', 'k\0', 'a\r\n\r\nb']]),
  ok('empty argument', '*2\r\n$4\r\nECHO\r\n$0\r\n\r\n', [['ECHO', '']]),
  ok('high bytes', '*2\r\n$4\r\nECHO\r\n$3\r\n\xff\x80\x00\r\n', [['ECHO', '\xff\x80\x00']]),

  // Inline commands (sdssplitargs).
  ok('inline PING', 'PING\r\n', [['PING']]),
  ok('inline with \\n only', 'PING\n', [['PING']]),
  ok('inline: only one \\r is stripped, the other is a blank', 'PING\r\r\n', [['PING']]),
  ok('empty lines are skipped', '\r\n\n\r\n' + 'PING\r\n', [['PING']]),
  ok('blank-only line is skipped', '  \t \r\n', []),
  ok('leading and trailing blanks', '  \t PING  \r\n', [['PING']]),
  ok('double quotes keep spaces', 'set a "b c"\r\n', [['set', 'a', 'b c']]),
  ok('double-quote escapes', 'echo "\\x41\\x4a\\n\\t\\r\\b\\a\\"\\\\\\q"\r\n', [['echo', 'AJ\n\t\r\b\x07"\\q']]),
  ok('\\x without two hex digits is x', 'echo "\\x4"\r\n', [['echo', 'x4']]),
  ok('\\x with uppercase hex', 'echo "\\xFf"\r\n', [['echo', '\xff']]),
  ok('single quotes keep backslashes except \\\'', "echo 'it\\'s a\\\\b \\n'\r\n", [['echo', "it's a\\\\b \\n"]]),
  ok('empty quoted arguments', 'echo "" \'\'\r\n', [['echo', '', '']]),
  ok('quote starting inside a token', 'echo a"b c" d\r\n', [['echo', 'ab c', 'd']]),
  ok('closing quote followed by \\v is fine', 'echo "a"\vb\r\n', [['echo', 'a', 'b']]),
  ok('\\v inside an unquoted token is kept', 'echo a\vb\r\n', [['echo', 'a\vb']]),
  ok('inline then multibulk then inline', 'PING\r\n' + PING + 'ECHO hi\n', [['PING'], ['PING'], ['ECHO', 'hi']]),
  err('unterminated double quote', 'set a "b\r\n', UNBALANCED),
  err('unterminated single quote', "set a 'b\r\n", UNBALANCED),
  err('closing quote followed by a letter', 'set a "b"c\r\n', UNBALANCED),
  err('single closing quote followed by a letter', "set a 'b'c\r\n", UNBALANCED),
  err('backslash at end inside quotes', 'echo "abc\\\r\n', UNBALANCED),
  err('unbalanced after a good command', 'PING\r\necho "x\r\n', UNBALANCED, [['PING']]),

  // Length limits on unterminated lines (PROTO_INLINE_MAX_SIZE = 64 KiB).
  err('inline over 64 KiB without newline', 'a'.repeat(65537), 'ERR Protocol error: too big inline request'),
  ok('inline of exactly 64 KiB without newline waits', 'a'.repeat(65536), [], true),
  ok('inline over 64 KiB with its newline is fine', 'ECHO ' + 'a'.repeat(70000) + '\r\n', [['ECHO', 'a'.repeat(70000)]]),
  err('count line over 64 KiB without \\r', '*' + '1'.repeat(65536), 'ERR Protocol error: too big mbulk count string'),
  err('count line over 64 KiB with \\r', '*' + '1'.repeat(70000) + '\r\n', INVALID_MB),
  err('bulk line over 64 KiB without \\r', '*1\r\n$' + '1'.repeat(65536), 'ERR Protocol error: too big bulk count string'),
];
