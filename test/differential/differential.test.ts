import { expect } from 'chai';
import { FAMILIES, generate, KEYS } from './generator';
import { checkKey, runCommand } from './normalize';
import { RespConn } from './resp';
import { formatFailure, hasRedisServer, probeFamilies, reproCommand, runSeed, startServers, type Servers } from './runner';

/**
 * The differential test in npm test: a short seed range over the families
 * raftcache implements, against a real redis-server. The long run is
 * scripts/differential.sh.
 */

const SEEDS = 12;
const COUNT = 150;

describe('generator', () => {
  it('is a pure function of seed, families and count', () => {
    const a = generate(42, ['keys', 'string', 'hash'], 300);
    const b = generate(42, ['hash', 'string', 'keys'], 300);
    expect(JSON.stringify(a)).to.equal(JSON.stringify(b));
    expect(JSON.stringify(generate(43, ['keys', 'string', 'hash'], 300))).to.not.equal(JSON.stringify(a));
    // A shorter run is a prefix of a longer one (apart from the final state check): --count N reproduces step N.
    const short = generate(42, ['keys', 'string', 'hash'], 100).filter((s) => s.kind === 'cmd');
    expect(JSON.stringify(short)).to.equal(JSON.stringify(a.filter((s) => s.kind === 'cmd').slice(0, 100)));
  });

  it('reaches every command of every family and only the eight shared keys', () => {
    const all = FAMILIES.map((f) => f.name);
    const seen = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) for (const s of generate(seed, all, 400, true)) if (s.kind === 'cmd') seen.add(s.argv[0].toUpperCase());
    for (const f of FAMILIES) for (const t of f.templates) expect(seen.has(t.cmd), `${f.name} ${t.cmd}`).to.equal(true);
    const steps = generate(5, ['string'], 500).filter((s) => s.kind === 'cmd');
    for (const s of steps) if (s.kind === 'cmd' && s.argv[0].toUpperCase() === 'GET' && s.argv.length === 2) expect(KEYS).to.include(s.argv[1]);
  });
});

describe('differential test against redis-server', function () {
  this.timeout(120000);
  let servers: Servers | undefined;
  let families: string[] = [];

  before(async function () {
    if (!hasRedisServer()) {
      // eslint-disable-next-line no-console
      console.log('    (skipped: redis-server is not on PATH; install redis-server 7.0 to compare raftcache with Redis)');
      this.skip();
    }
    servers = await startServers();
    families = (await probeFamilies(servers.rcPort)).enabled;
  });

  after(async () => {
    await servers?.stop();
  });

  it('probes which families raftcache implements (strings and keys at least)', () => {
    expect(families).to.include.members(['string', 'keys']);
  });

  it(`agrees with Redis on seeds 1..${SEEDS} (${COUNT} commands each, every fourth seed in RESP3)`, async () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const r = await runSeed(servers!, seed, families, COUNT, { shrinkMs: 10000 });
      if (r.failure) expect.fail(`\n${formatFailure(r.failure)}`);
    }
  });

  it('catches a planted difference and prints how to reproduce it', async () => {
    // The tester must be able to fail: a key only Redis has makes GET differ.
    const [rc, redis] = await Promise.all([RespConn.connect(servers!.rcPort), RespConn.connect(servers!.redisPort)]);
    try {
      await Promise.all([rc.call(['FLUSHALL']), redis.call(['FLUSHALL'])]);
      await redis.call(['SET', 'k1', 'only in redis']);
      const out = await runCommand({ rc, redis }, ['GET', 'k1']);
      expect(out.same).to.equal(false);
      expect(out.rc).to.equal('(nil $-1)');
      expect(out.redis).to.equal('"only in redis"');
      const check = await checkKey({ rc, redis }, 'k1');
      expect(check.same).to.equal(false);
      // Normalized commands still compare what they must: TTL's tolerance does not hide "no key" vs "no expiry".
      expect((await runCommand({ rc, redis }, ['TTL', 'k1'])).same).to.equal(false);
    } finally {
      rc.close();
      redis.close();
    }
    const line = reproCommand({
      seed: 9,
      families: ['string', 'keys'],
      resp3: false,
      withKnownBugs: false,
      commandNumber: 17,
      step: { kind: 'cmd', argv: ['GET', 'k1'], family: 'string' },
      argv: ['GET', 'k1'],
      outcome: { same: false, rc: '', redis: '' },
      history: [],
      shrunk: null,
    });
    expect(line).to.equal('node dist/test/differential/cli.js --seed 9 --families string,keys --count 17');
  });
});
