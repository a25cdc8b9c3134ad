import { expect } from 'chai';
import { checkOutputLimit, DEFAULT_OUTPUT_LIMITS, parseOutputLimits, updateOutputLimits } from '../../server/output-limits';

describe('client-output-buffer-limit (unit)', () => {
  it('parses the default and updates only the classes given, in canonical form', () => {
    expect(parseOutputLimits(DEFAULT_OUTPUT_LIMITS).pubsub).to.deep.equal({ hard: 32 * 1024 * 1024, soft: 8 * 1024 * 1024, softSeconds: 60 });
    expect(updateOutputLimits(DEFAULT_OUTPUT_LIMITS, 'normal 1mb 500kb 10 replica 0 0 0')).to.equal(
      'normal 1048576 512000 10 slave 0 0 0 pubsub 33554432 8388608 60',
    );
    expect(() => updateOutputLimits(DEFAULT_OUTPUT_LIMITS, 'normal 1 2')).to.throw('Wrong number of arguments');
    expect(() => updateOutputLimits(DEFAULT_OUTPUT_LIMITS, 'master 1 2 3')).to.throw('Invalid client class');
    expect(() => updateOutputLimits(DEFAULT_OUTPUT_LIMITS, 'normal -1 2 3')).to.throw('Error in hard, soft or soft_seconds');
  });

  it('hard limit closes at once; soft limit only after more than its seconds over it; 0 is no limit', () => {
    const l = { hard: 100, soft: 50, softSeconds: 2 };
    expect(checkOutputLimit(l, 100, 0, 1000).close).to.equal(true);
    let c = checkOutputLimit(l, 60, 0, 1000);
    expect(c).to.deep.equal({ close: false, softSince: 1000 });
    expect(checkOutputLimit(l, 60, c.softSince, 3999).close).to.equal(false); // 2 s: not more than 2
    expect(checkOutputLimit(l, 60, c.softSince, 4000).close).to.equal(true);
    // Dropping under the soft limit resets its clock.
    c = checkOutputLimit(l, 10, c.softSince, 3500);
    expect(c).to.deep.equal({ close: false, softSince: 0 });
    expect(checkOutputLimit({ hard: 0, soft: 0, softSeconds: 0 }, 1e12, 0, 0).close).to.equal(false);
  });
});
