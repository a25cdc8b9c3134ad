import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { Cluster, freePorts, waitFor } from './harness';

/**
 * TLS on both sides: peers talk over TLS with certificates verified against
 * the CA (tls-cluster yes), and clients connect to the TLS client port
 * (tls-port). Certificates are made for the test with openssl.
 */
describe('cluster: TLS for peers and clients', function () {
  this.timeout(60000);
  let dir = '';
  let cluster: Cluster | undefined;
  let tlsPorts: number[] = [];

  before(async function () {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
    } catch {
      console.log('      (skipped: openssl not found)');
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'raftcache-tls-'));
    const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=raftcache-test-ca');
    ssl('req', ...ec, '-keyout', 'node.key', '-out', 'node.csr', '-subj', '/CN=node');
    ssl('x509', '-req', '-in', 'node.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'node.crt', '-days', '1', '-extfile', 'ext.cnf');
    tlsPorts = await freePorts(3);
    const common = ['--tls-cluster', 'yes', '--tls-cert-file', path.join(dir, 'node.crt'), '--tls-key-file', path.join(dir, 'node.key'), '--tls-ca-cert-file', path.join(dir, 'ca.crt')];
    cluster = await Cluster.start({
      nodes: 3,
      args: common,
      nodeArgs: { 1: ['--tls-port', String(tlsPorts[0])], 2: ['--tls-port', String(tlsPorts[1])], 3: ['--tls-port', String(tlsPorts[2])] },
    });
  });

  after(async () => {
    await cluster?.stopAll();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('elects a leader over TLS peer links and serves TLS clients on any node', async () => {
    const c = cluster!;
    const leader = await c.leader();
    const follower = [1, 2, 3].find((id) => id !== leader)!;
    const ca = fs.readFileSync(path.join(dir, 'ca.crt'));
    const viaFollower = new Redis({ port: tlsPorts[follower - 1], host: '127.0.0.1', tls: { ca, servername: 'localhost' }, maxRetriesPerRequest: 0 });
    try {
      expect(await viaFollower.set('over-tls', 'yes')).to.equal('OK');
      expect(await viaFollower.get('over-tls')).to.equal('yes');
    } finally {
      viaFollower.disconnect();
    }
    // Replicated to every node (read in plain text on the normal port).
    for (const id of [1, 2, 3]) {
      await waitFor(async () => (await c.client(id).get('over-tls')) === 'yes', 5000, `node ${id} has the TLS write`);
    }
    // The peer port speaks TLS: a TLS handshake with the cluster's certificate succeeds.
    const tlsMod = await import('node:tls');
    const read = (f: string) => fs.readFileSync(path.join(dir, f));
    const secured = await new Promise<boolean>((resolve) => {
      const s = tlsMod.connect({ host: '127.0.0.1', port: c.node(leader).peerPort, ca: read('ca.crt'), cert: read('node.crt'), key: read('node.key') }, () => {
        resolve(s.authorized);
        s.destroy();
      });
      s.on('error', () => resolve(false));
    });
    expect(secured).to.equal(true);
  });

  it('refuses a plain-text connection on the TLS port', async () => {
    const plain = new Redis({ port: tlsPorts[0], host: '127.0.0.1', maxRetriesPerRequest: 0, connectTimeout: 2000, retryStrategy: () => null, lazyConnect: true });
    plain.on('error', () => undefined);
    const err = await plain
      .connect()
      .then(() => plain.ping())
      .then(
        () => 'no error',
        (e: Error) => e.message,
      );
    plain.disconnect();
    expect(err).to.not.equal('no error');
  });
});
