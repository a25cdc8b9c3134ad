const src = Buffer.alloc(1 << 16, 'abcdefghijklmnop');
function a(buf: Buffer, s: number, e: number) { const o = Buffer.allocUnsafe(e - s); buf.copy(o, 0, s, e); return o; }
function b(buf: Buffer, s: number, e: number) { const n = e - s; const o = Buffer.allocUnsafe(n); if (n < 64) { for (let i = 0; i < n; i++) o[i] = buf[s + i]; } else buf.copy(o, 0, s, e); return o; }
function c(buf: Buffer, s: number, e: number) { return Buffer.from(buf.subarray(s, e)); }
function d(buf: Buffer, s: number, e: number) { return buf.subarray(s, e); }
function f(buf: Buffer, s: number, e: number) { const o = Buffer.allocUnsafe(e - s); o.set(buf.subarray(s, e)); return o; }
let sink = 0;
for (const [name, fn] of [['copy', a], ['loop', b], ['from', c], ['subarray', d], ['set', f], ['copy', a], ['loop', b]] as const) {
  for (const len of [3, 16, 100]) {
    const t = process.hrtime.bigint();
    for (let r = 0; r < 3_000_000; r++) { const s = (r * 7) & 0x7fff; sink += fn(src, s, s + len).length; }
    console.log(name, len, (Number(process.hrtime.bigint() - t) / 3e6).toFixed(1), 'ns');
  }
}
