import { expect } from 'chai';
import pino from 'pino';
import { LatencyMonitor, latencyMonitor } from '../../server/latency';
import { monitorEventLoop, openRunQueueWait, runQueueWaitMs } from '../../server/loop-monitor';

/** Blocks the event loop for `ms`. */
function busy(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    /* spin */
  }
}

describe('event-loop monitor: stalls and their wait for a CPU (server/loop-monitor.ts)', () => {
  it('reads the run-queue wait from schedstat (ns -> ms); null when the kernel does not say', () => {
    expect(runQueueWaitMs(() => '123456 4560000 7\n')).to.equal(4.56);
    expect(runQueueWaitMs(() => 'garbage')).to.equal(null);
    expect(runQueueWaitMs(() => {
      throw new Error('ENOENT');
    })).to.equal(null);
    // This machine is Linux: the real file answers, through its one descriptor, and keeps answering.
    const own = openRunQueueWait();
    try {
      const first = own.waitedMs();
      expect(first).to.be.a('number').and.to.be.at.least(0);
      busy(5);
      expect(own.waitedMs()).to.be.at.least(first!);
    } finally {
      own.close();
    }
    const missing = openRunQueueWait('/proc/self/no-such-file');
    expect(missing.waitedMs()).to.equal(null);
    missing.close();
  });

  it('a companion sample is kept only for the second worst stall, replaced within the second', () => {
    const m = new LatencyMonitor();
    let now = 1_000_000;
    m.now = () => now;
    m.threshold = () => 10;
    m.addAlong('event-loop-cpu-wait', 'event-loop-stall', 30, 5); // no stall recorded yet: ignored
    expect(m.series('event-loop-cpu-wait')).to.equal(undefined);
    m.add('event-loop-stall', 30);
    m.addAlong('event-loop-cpu-wait', 'event-loop-stall', 30, 12);
    m.add('event-loop-stall', 20); // a smaller stall in the same second: the second's sample stays 30...
    m.addAlong('event-loop-cpu-wait', 'event-loop-stall', 20, 19); // ...so its wait is not the second's
    m.add('event-loop-stall', 45); // a worse one: its wait replaces the second's
    m.addAlong('event-loop-cpu-wait', 'event-loop-stall', 45, 40);
    now += 1000;
    m.add('event-loop-stall', 25);
    m.addAlong('event-loop-cpu-wait', 'event-loop-stall', 25, 2);
    expect(m.series('event-loop-stall')!.samples.map((s) => s.ms)).to.deep.equal([45, 25]);
    expect(m.series('event-loop-cpu-wait')!.samples.map((s) => s.ms)).to.deep.equal([40, 2]);
    expect(m.series('event-loop-cpu-wait')!.max).to.equal(40);
  });

  it('records a stall with how much of it was spent waiting for a CPU', async () => {
    const saved = latencyMonitor.threshold;
    latencyMonitor.reset(['event-loop-stall', 'event-loop-cpu-wait']);
    latencyMonitor.threshold = () => 20;
    // Each interval reports 7 ms more run-queue wait than the one before (a starved CPU, simulated).
    let waited = 0;
    const stop = monitorEventLoop(pino({ level: 'silent' }), { intervalMs: 10, thresholdMs: 1000 }, () => (waited += 7));
    try {
      await new Promise((r) => setTimeout(r, 30));
      busy(60);
      await new Promise((r) => setTimeout(r, 30));
      const stalls = latencyMonitor.series('event-loop-stall')!;
      const waits = latencyMonitor.series('event-loop-cpu-wait')!;
      expect(stalls.max).to.be.at.least(40);
      expect(waits.samples.map((s) => s.ms)).to.include(7);
      expect(waits.samples[waits.samples.length - 1].time).to.equal(stalls.samples[stalls.samples.length - 1].time);
    } finally {
      stop();
      latencyMonitor.threshold = saved;
      latencyMonitor.reset(['event-loop-stall', 'event-loop-cpu-wait']);
    }
  });
});
