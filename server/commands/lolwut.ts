import { createHash } from 'node:crypto';
import { ERR_NOT_INTEGER } from '../../protocol/errors';
import { ErrorReply, VerbatimReply, type Reply } from '../../protocol/reply';
import { REDIS_COMPAT_VERSION } from '../info';
import { mulberry32 } from './random';
import { parseInt64 } from './util';
import { docArg, parseLong, serverCmd } from './ops-cmd';
import type { ServerCommand } from './table';

/*
 * LOLWUT [VERSION v] [args]: Redis 7's computer art. Version 5 draws Georg
 * Nees's "Schotter" in Braille characters, version 6 a skyline in terminal
 * colours; any other version (our default, 7.2.4, included) prints the
 * version line, as Redis does. Redis draws with C's rand(); we draw with a
 * generator seeded from the arguments, so the same request gives the same
 * picture (Redis's own picture differs per call). Where Redis draws no
 * random number (Schotter with at most two rows of squares) the picture is
 * Redis's to the character. The geometry uses 32-bit floats as Redis's C does.
 */

const f = Math.fround;

/** C's round(): half away from zero (Math.round rounds half up). */
function cRound(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}

/** A rand()-like source: non-negative 31-bit integers, seeded. */
function seededRand(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() & 0x7fffffff;
}
const RAND_MAX = 0x7fffffff;

class Canvas {
  readonly pixels: Uint8Array;
  constructor(readonly width: number, readonly height: number, bg: number) {
    this.pixels = new Uint8Array(width * height).fill(bg);
  }
  set(x: number, y: number, color: number): void {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return;
    this.pixels[x + y * this.width] = color;
  }
  get(x: number, y: number): number {
    if (x < 0 || x >= this.width || y < 0 || y >= this.height) return 0;
    return this.pixels[x + y * this.width];
  }
  /** Bresenham, as lwDrawLine. */
  line(x1: number, y1: number, x2: number, y2: number, color: number): void {
    const dx = Math.abs(x2 - x1);
    const dy = Math.abs(y2 - y1);
    const sx = x1 < x2 ? 1 : -1;
    const sy = y1 < y2 ? 1 : -1;
    let err = dx - dy;
    for (;;) {
      this.set(x1, y1, color);
      if (x1 === x2 && y1 === y2) break;
      const e2 = err * 2;
      if (e2 > -dy) {
        err -= dy;
        x1 += sx;
      }
      if (e2 < dx) {
        err += dx;
        y1 += sy;
      }
    }
  }
  /** A square centred on (x, y), rotated by angle: its corners lie on a circle. */
  square(x: number, y: number, side: number, angle: number, color: number): void {
    let size = f(side / 1.4142135623);
    size = f(cRound(size));
    const px: number[] = [];
    const py: number[] = [];
    let k = f(Math.PI / 4 + angle);
    for (let j = 0; j < 4; j++) {
      px.push(cRound(Math.sin(k) * size + x));
      py.push(cRound(Math.cos(k) * size + y));
      k = f(k + Math.PI / 2);
    }
    for (let j = 0; j < 4; j++) this.line(px[j], py[j], px[(j + 1) % 4], py[(j + 1) % 4], color);
  }
}

function schotter(cols: number, perRow: number, perCol: number, rand: () => number): Canvas {
  const width = cols * 2;
  const padding = width > 4 ? 2 : 0;
  const side = f((width - padding * 2) / perRow);
  const height = Math.trunc(f(f(side * perCol) + padding * 2));
  const canvas = new Canvas(width, height, 0);
  const rnd = (y: number) => f(f(f(rand() / RAND_MAX) / perCol) * y);
  for (let y = 0; y < perCol; y++) {
    for (let x = 0; x < perRow; x++) {
      let sx = Math.trunc(f(f(f(x * side) + f(side / 2)) + padding));
      let sy = Math.trunc(f(f(f(y * side) + f(side / 2)) + padding));
      let angle = 0;
      // Order rows stay straight; lower rows are rotated and moved ever more.
      if (y > 1) {
        let r1 = rnd(y);
        let r2 = rnd(y);
        let r3 = rnd(y);
        if (rand() % 2) r1 = -r1;
        if (rand() % 2) r2 = -r2;
        if (rand() % 2) r3 = -r3;
        angle = r1;
        sx = Math.trunc(f(sx + f(f(r2 * side) / 3)));
        sy = Math.trunc(f(sy + f(f(r3 * side) / 3)));
      }
      canvas.square(sx, sy, side, angle, 1);
    }
  }
  return canvas;
}

/** Each Braille character is a 2x4 block of pixels. */
function renderBraille(c: Canvas): string {
  let text = '';
  for (let y = 0; y < c.height; y += 4) {
    for (let x = 0; x < c.width; x += 2) {
      let byte = 0;
      if (c.get(x, y)) byte |= 1;
      if (c.get(x, y + 1)) byte |= 2;
      if (c.get(x, y + 2)) byte |= 4;
      if (c.get(x + 1, y)) byte |= 8;
      if (c.get(x + 1, y + 1)) byte |= 16;
      if (c.get(x + 1, y + 2)) byte |= 32;
      if (c.get(x, y + 3)) byte |= 64;
      if (c.get(x + 1, y + 3)) byte |= 128;
      text += String.fromCharCode(0x2800 + byte);
    }
    if (y !== c.height - 1) text += '\n';
  }
  return text;
}

interface Skyscraper {
  xoff: number;
  width: number;
  height: number;
  windows: boolean;
  color: number;
}

function skyscraper(c: Canvas, s: Skyscraper, rand: () => number): void {
  const starty = c.height - 1;
  const endy = starty - s.height + 1;
  for (let y = starty; y >= endy; y--) {
    for (let x = s.xoff; x < s.xoff + s.width; x++) {
      if (y === endy && (x <= s.xoff + 1 || x >= s.xoff + s.width - 2)) continue; // the roof is narrower
      let color = s.color;
      if (s.windows && x > s.xoff + 1 && x < s.xoff + s.width - 2 && y > endy + 1 && y < starty - 1) {
        const relx = x - (s.xoff + 1);
        const rely = y - (endy + 1);
        // Windows two pixels wide, one tall (terminal cells are not square).
        if (Math.trunc(relx / 2) % 2 && rely % 2) {
          do color = 1 + (rand() % 2);
          while (color === s.color);
          if (relx % 2) color = c.get(x - 1, y);
        }
      }
      c.set(x, y, color);
    }
  }
}

function skyline(c: Canvas, rand: () => number): void {
  const h = c.height;
  // Two passes of window-less buildings, the lighter grey behind.
  for (let color = 2; color >= 1; color--) {
    for (let offset = -10; offset < c.width; ) {
      offset += rand() % 8;
      const width = 10 + (rand() % 9);
      const height = color === 2 ? Math.trunc(h / 2) + Math.trunc((rand() % h) / 2) : Math.trunc(h / 2) + Math.trunc((rand() % h) / 3);
      skyscraper(c, { xoff: offset, width, height, windows: false, color }, rand);
      offset += color === 2 ? Math.trunc(width / 2) : width + 1;
    }
  }
  for (let offset = -10; offset < c.width; ) {
    offset += rand() % 8;
    let width = 5 + (rand() % 14);
    if (width % 4) width += width % 3;
    const height = Math.trunc(h / 3) + Math.trunc((rand() % h) / 2);
    skyscraper(c, { xoff: offset, width, height, windows: true, color: 0 }, rand);
    offset += width + 5;
  }
}

const GREYS = ['0;30;40m', '0;90;100m', '0;37;47m', '0;97;107m'];

function renderColours(c: Canvas): string {
  const rows: string[] = [];
  for (let y = 0; y < c.height; y++) {
    let row = '';
    for (let x = 0; x < c.width; x++) row += `\x1b[${GREYS[c.get(x, y)] ?? GREYS[0]} \x1b[0m`;
    rows.push(row);
  }
  return rows.join('\n');
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/** Parses the version's own numeric arguments with their defaults; an error reply for a non-integer. */
function numbers(args: Buffer[], defaults: number[]): number[] | ErrorReply {
  const out = [...defaults];
  for (let i = 0; i < defaults.length && i < args.length; i++) {
    const v = parseLong(args[i]);
    if (v === undefined) return ERR_NOT_INTEGER;
    out[i] = v;
  }
  return out;
}

function seedOf(argv: Buffer[]): number {
  return createHash('sha1').update(Buffer.concat(argv.map((a) => Buffer.concat([a, Buffer.from([0])])))).digest().readUInt32LE(0);
}

export function lolwut(argv: Buffer[]): Reply {
  let version = REDIS_COMPAT_VERSION;
  let args = argv.slice(1);
  if (argv.length >= 3 && argv[1].toString('latin1').toLowerCase() === 'version') {
    const v = parseInt64(argv[2]);
    if (v === null) return ERR_NOT_INTEGER;
    version = `${BigInt.asUintN(32, BigInt(v))}.0.0`; // Redis prints it with %u
    args = argv.slice(3);
  }
  const rand = seededRand(seedOf(argv));
  if (version.startsWith('5.')) {
    const n = numbers(args, [66, 8, 12]);
    if (n instanceof ErrorReply) return n;
    const canvas = schotter(clamp(n[0], 1, 1000), clamp(n[1], 1, 200), clamp(n[2], 1, 200), rand);
    return new VerbatimReply('txt', `${renderBraille(canvas)}\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. ${REDIS_COMPAT_VERSION}\n`);
  }
  if (version.startsWith('6.')) {
    const n = numbers(args, [80, 20]);
    if (n instanceof ErrorReply) return n;
    const canvas = new Canvas(clamp(n[0], 1, 1000), clamp(n[1], 1, 1000), 3);
    skyline(canvas, rand);
    return new VerbatimReply(
      'txt',
      `${renderColours(canvas)}\nDedicated to the 8 bit game developers of past and present.\nOriginal 8 bit image from Plaguemon by hikikomori. Redis ver. ${REDIS_COMPAT_VERSION}\n`,
    );
  }
  return new VerbatimReply('txt', `Redis ver. ${REDIS_COMPAT_VERSION}\n`);
}

export function lolwutCommand(): ServerCommand {
  return serverCmd(
    'lolwut',
    -1,
    ['readonly', 'fast'],
    ['@read', '@fast'],
    {
      summary: 'Display some computer art and the Redis version',
      since: '5.0.0',
      group: 'server',
      arguments: [docArg('version', 'integer', { token: 'VERSION', optional: true })],
    },
    (_ctx, argv) => lolwut(argv),
  );
}
