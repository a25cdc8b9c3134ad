/**
 * LATENCY side by side with redis-server: the fixed texts (HELP, DOCTOR with
 * monitoring off and with nothing observed), the shapes of LATEST / HISTORY /
 * GRAPH after one slow command (a busy script here, DEBUG SLEEP there), RESET
 * counts and HISTOGRAM's per-command cumulative buckets.
 */
import { expect } from 'chai';
import Redis from 'ioredis';
import { errorOf, serverForSuite } from '../support/proc';
import { startReferenceRedis, type ReferenceRedis } from '../support/reference-redis';

const BUSY = 'local i = 0 while i < 6000000 do i = i + 1 end return i';

/** A map reply (flat in RESP2) as an object. */
function obj(flat: unknown): Record<string, unknown> {
  const a = flat as unknown[];
  const o: Record<string, unknown> = {};
  for (let i = 0; i < a.length; i += 2) o[String(a[i])] = a[i + 1];
  return o;
}

describe('LATENCY (ops)', function () {
  this.timeout(60000);
  const t = serverForSuite();
  let ref: ReferenceRedis;
  let rr: Redis;

  before(async () => {
    ref = await startReferenceRedis(['--enable-debug-command', 'yes']);
    rr = new Redis({ port: ref.port });
  });
  after(async () => {
    rr?.disconnect();
    await ref?.stop();
  });

  const both = async (...args: string[]) => [await t.r.call('latency', ...args), await rr.call('latency', ...args)];

  it('with monitoring off: Redis texts, nothing recorded', async () => {
    const [help, refHelp] = await both('help');
    expect(help).to.deep.equal(refHelp);
    const [doc, refDoc] = await both('doctor');
    expect(doc).to.equal(refDoc);
    expect(doc).to.match(/^I'm sorry, Dave/);
    const [latest, refLatest] = await both('latest');
    expect(latest).to.deep.equal(refLatest).and.deep.equal([]);
    expect(await t.r.call('latency', 'history', 'command')).to.deep.equal([]);
    expect(await errorOf(t.r.call('latency', 'graph', 'command'))).to.equal(await errorOf(rr.call('latency', 'graph', 'command')));
    expect(await errorOf(t.r.call('latency', 'nope'))).to.equal(await errorOf(rr.call('latency', 'nope')));
    expect(await t.r.config('GET', 'latency-monitor-threshold')).to.deep.equal(['latency-monitor-threshold', '0']);
  });

  it('records a slow command past the threshold: LATEST, HISTORY, GRAPH, DOCTOR, RESET as Redis', async () => {
    for (const r of [t.r, rr]) await r.config('SET', 'latency-monitor-threshold', '100000');
    const [calm, refCalm] = await both('doctor');
    expect(calm).to.equal(refCalm);
    expect(calm).to.match(/^Dave, no latency spike/);
    // A threshold no ordinary command reaches, even on a loaded machine; the script and the sleep pass it.
    for (const r of [t.r, rr]) await r.config('SET', 'latency-monitor-threshold', '50');
    await t.r.call('latency', 'reset');
    await t.r.eval(BUSY, 0);
    await rr.call('debug', 'sleep', '0.2');
    const [latest, refLatest] = (await both('latest')) as unknown[][][];
    const ours = latest.find((e) => e[0] === 'command')!;
    const theirs = refLatest.find((e) => e[0] === 'command')!;
    expect(ours).to.have.length(4);
    expect(Math.abs((ours[1] as number) - Date.now() / 1000)).to.be.below(30);
    expect(ours[2]).to.be.at.least(50);
    expect(ours[3]).to.equal(ours[2]);
    expect(theirs.map((v) => typeof v)).to.deep.equal(ours.map((v) => typeof v));
    const history = (await t.r.call('latency', 'history', 'command')) as number[][];
    expect(history).to.deep.equal([[ours[1], ours[2]]]);
    // The graph: the same text once the clocks are taken out: the milliseconds, and the sample's age under its bar
    // (ours ran ~0.2 s before redis-server's DEBUG SLEEP ended, so a second boundary between them made 1s vs 0s).
    const strip = (g: unknown) => String(g).replace(/\d+ ms/g, 'N ms').replace(/^\d+$/gm, 'D');
    const [graph, refGraph] = await both('graph', 'command');
    expect(strip(graph)).to.equal(strip(refGraph));
    const [doc, refDoc] = (await both('doctor')) as string[];
    const head = (d: string) => d.split('\n')[0];
    expect(head(doc)).to.equal(head(refDoc));
    expect(doc).to.match(/\d\. command: 1 latency spikes \(average \d+ms, mean deviation 0ms, period 1\.00 sec\)\. Worst all time event \d+ms\./);
    expect(doc).to.include('I have a few advices for you:');
    const [reset, refReset] = await both('reset', 'command', 'no-such-event');
    expect(reset).to.equal(refReset).and.equal(1);
    expect(await t.r.call('latency', 'history', 'command')).to.deep.equal([]);
    for (const r of [t.r, rr]) await r.config('SET', 'latency-monitor-threshold', '0');
    await t.r.call('latency', 'reset');
  });

  it('HISTOGRAM: per-command calls and cumulative power-of-two buckets in Redis shape', async () => {
    for (const r of [t.r, rr]) {
      await r.config('RESETSTAT');
      for (let i = 0; i < 5; i++) await r.set(`k${i}`, 'v');
      for (let i = 0; i < 3; i++) await r.get(`k${i}`);
      await r.config('GET', 'maxmemory');
    }
    const [hist, refHist] = (await both('histogram', 'set', 'get', 'nosuch', 'config')).map(obj);
    expect(Object.keys(hist).sort()).to.deep.equal(Object.keys(refHist).sort());
    for (const name of Object.keys(hist)) {
      const h = obj(hist[name]);
      const rh = obj(refHist[name]);
      expect(Object.keys(h)).to.deep.equal(Object.keys(rh));
      expect(h.calls, name).to.equal(rh.calls);
      const buckets = (h.histogram_usec as number[]).filter((_, i) => i % 2 === 0);
      const counts = (h.histogram_usec as number[]).filter((_, i) => i % 2 === 1);
      expect(counts[counts.length - 1]).to.equal(h.calls);
      expect(counts).to.deep.equal([...counts].sort((a, b) => a - b));
      // Bucket bounds are HdrHistogram's (2 significant digits) at 1024 ns * 2^n, in us: redis-server
      // answers 4, 8, 16 for fast commands and 33816, 67633 for DEBUG SLEEP 0.05.
      const bounds = Array.from({ length: 20 }, (_, n) => Math.floor((2 ** (10 + n) + 2 ** Math.max(0, 3 + n) - 1) / 1000));
      expect(bounds.slice(0, 5)).to.deep.equal([1, 2, 4, 8, 16]);
      expect(bounds.slice(15, 17)).to.deep.equal([33816, 67633]);
      for (const b of buckets) expect(bounds).to.include(b);
    }
    expect(await t.r.call('latency', 'histogram', 'nosuch')).to.deep.equal([]);
    const all = obj(await t.r.call('latency', 'histogram'));
    expect(all).to.have.property('set');
    expect(all).to.have.property('latency|histogram');
  });
});
