/**
 * One small closed-loop load client, used with the same shape against every
 * target (raftcache, redis-server, a Redis primary with WAIT, etcd), so that
 * the client's own cost is the same in every column: `clients` connections,
 * each issuing its next operation when the previous one is answered, until
 * `requests` operations were issued in all. redis-benchmark (C) is faster
 * than this client, which is why the compare bench reports both.
 */
import http from 'node:http';
import net from 'node:net';
import Redis from 'ioredis';

export interface LoadShape {
  /** Concurrent connections (redis-benchmark's -c). */
  clients: number;
  /** Operations in all, over all connections (redis-benchmark's -n). */
  requests: number;
  /** Writes sent back to back per round trip (redis-benchmark's -P); 1 = one at a time. */
  pipeline: number;
}

export interface LoadResult {
  /** Acknowledged operations per second over the timed part. */
  rps: number;
  /** Latency of one round (the `pipeline` writes, plus WAIT when asked), ms. */
  p50: number;
  p99: number;
  /** Operations that failed or were not acknowledged (WAIT answered 0, HTTP error). */
  failed: number;
  /** The first failure, for the warning line. */
  firstError: string | undefined;
}

/**
 * One connection's round: issues `n` writes numbered from `seq` and resolves
 * with how many of them are acknowledged (0..n); throws on a failure.
 */
type Round = (seq: number, n: number) => Promise<number>;

/** A target's connections: `rounds[i]` runs on connection i. */
interface Connections {
  rounds: Round[];
  close(): void;
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Runs the closed loop over already-open connections; one untimed round per connection first (connection set-up, JIT). */
async function closedLoop(conns: Connections, shape: LoadShape): Promise<LoadResult> {
  const { rounds } = conns;
  await Promise.all(rounds.map((round, i) => round(1_000_000_000 + i * shape.pipeline, shape.pipeline)));
  const latencies = new Float64Array(Math.ceil(shape.requests / shape.pipeline));
  let issued = 0;
  let done = 0;
  let acked = 0;
  let failed = 0;
  let firstError: string | undefined;
  const start = process.hrtime.bigint();
  await Promise.all(
    rounds.map(async (round) => {
      while (issued < shape.requests) {
        const n = Math.min(shape.pipeline, shape.requests - issued);
        const seq = issued;
        issued += n;
        const t0 = process.hrtime.bigint();
        try {
          const ok = await round(seq, n);
          acked += ok;
          failed += n - ok;
          if (ok < n && firstError === undefined) firstError = `${n - ok} of ${n} writes not acknowledged`;
        } catch (e) {
          failed += n;
          firstError ??= (e as Error).message;
        }
        latencies[done++] = Number(process.hrtime.bigint() - t0) / 1e6;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const sorted = latencies.subarray(0, done).sort();
  return { rps: acked / seconds, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), failed, firstError };
}

/** Keys cycle over a fixed set, so every target holds the same small keyspace whatever the request count. */
const KEYSPACE = 10000;
/** redis-benchmark's default value size (-d 3). */
const VALUE = 'xxx';

export interface RedisLoadOptions {
  /** After the round's SETs, send `WAIT replicas timeoutMs` and count the round only when it answers ≥ replicas. */
  wait?: { replicas: number; timeoutMs: number };
  /**
   * `ioredis` (default): what Node users run. `raw`: RESP written and read by
   * hand over a socket, several times cheaper per command, for when ioredis
   * itself would be the bottleneck on a small machine.
   */
  driver?: 'ioredis' | 'raw';
}

/**
 * SET load over ioredis. With `wait`, each round is SET×pipeline then WAIT,
 * written back to back (WAIT covers every earlier write of its connection, so
 * this is the cheapest correct way a Redis client gets "on N replicas").
 */
export async function redisSetLoad(port: number, shape: LoadShape, opts: RedisLoadOptions = {}): Promise<LoadResult> {
  if (opts.driver === 'raw') return rawSetLoad(port, shape, opts);
  const clients = Array.from({ length: shape.clients }, () => new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false }));
  for (const c of clients) c.on('error', () => undefined); // failures surface on the commands that hit them
  const close = () => clients.forEach((c) => c.disconnect());
  try {
    await Promise.all(clients.map((c) => c.connect()));
    const rounds: Round[] = clients.map((c) => async (seq, n) => {
      const sets: Array<Promise<unknown>> = [];
      for (let i = 0; i < n; i++) sets.push(c.set(`key:${(seq + i) % KEYSPACE}`, VALUE));
      const wait = opts.wait ? c.call('WAIT', String(opts.wait.replicas), String(opts.wait.timeoutMs)) : undefined;
      const replies = await Promise.all(sets);
      if (replies.some((r) => r !== 'OK')) throw new Error(`SET answered ${String(replies.find((r) => r !== 'OK'))}`);
      if (!wait || !opts.wait) return n;
      return Number(await wait) >= opts.wait.replicas ? n : 0;
    });
    return await closedLoop({ rounds, close }, shape);
  } finally {
    close();
  }
}

function resp(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/**
 * One raw RESP connection for SET/WAIT rounds: every reply these send is one
 * line (+OK, :n or -error), so reading is splitting on CRLF.
 */
class RawConnection {
  private buffered = '';
  private replies: string[] = [];
  private want = 0;
  private wake: ((err?: Error) => void) | undefined;

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buffered += d;
      let at: number;
      while ((at = this.buffered.indexOf('\r\n')) >= 0) {
        this.replies.push(this.buffered.slice(0, at));
        this.buffered = this.buffered.slice(at + 2);
      }
      if (this.replies.length >= this.want) this.wake?.();
    });
    const fail = (e?: Error) => this.wake?.(e ?? new Error('Connection is closed.'));
    socket.on('error', fail);
    socket.on('close', () => fail());
  }

  static connect(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection({ host: '127.0.0.1', port }, () => resolve(new RawConnection(socket)));
      socket.setNoDelay(true);
      socket.once('error', reject);
    });
  }

  /** Writes `payload` (which asks for `n` replies) and resolves with those replies. */
  exchange(payload: string, n: number): Promise<string[]> {
    this.want = n;
    return new Promise((resolve, reject) => {
      this.wake = (err) => {
        this.wake = undefined;
        if (err) return reject(err);
        resolve(this.replies.splice(0, n));
      };
      this.socket.write(payload, 'latin1');
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

async function rawSetLoad(port: number, shape: LoadShape, opts: RedisLoadOptions): Promise<LoadResult> {
  const conns: RawConnection[] = [];
  const close = () => conns.forEach((c) => c.close());
  const wait = opts.wait ? resp(['WAIT', String(opts.wait.replicas), String(opts.wait.timeoutMs)]) : '';
  try {
    for (let i = 0; i < shape.clients; i++) conns.push(await RawConnection.connect(port));
    const rounds: Round[] = conns.map((c) => async (seq, n) => {
      let payload = '';
      for (let i = 0; i < n; i++) payload += resp(['SET', `key:${(seq + i) % KEYSPACE}`, VALUE]);
      const replies = await c.exchange(payload + wait, n + (opts.wait ? 1 : 0));
      for (let i = 0; i < n; i++) if (replies[i] !== '+OK') throw new Error(`SET answered ${replies[i]}`);
      if (!opts.wait) return n;
      return Number(replies[n].slice(1)) >= opts.wait.replicas ? n : 0;
    });
    return await closedLoop({ rounds, close }, shape);
  } finally {
    close();
  }
}

/**
 * etcd puts over its v3 JSON gateway (`POST /v3/kv/put`, base64 key and
 * value), one keep-alive HTTP connection per client. etcd acknowledges a put
 * once a majority has it in its fsynced WAL. HTTP/1.1 has no pipelining
 * here, so `shape.pipeline` must be 1.
 */
export async function etcdPutLoad(port: number, shape: LoadShape): Promise<LoadResult> {
  if (shape.pipeline !== 1) throw new Error('etcd puts cannot be pipelined over the JSON gateway');
  // One agent per client with one socket each: every client owns its connection, as with Redis.
  const agents = Array.from({ length: shape.clients }, () => new http.Agent({ keepAlive: true, maxSockets: 1 }));
  const value = Buffer.from(VALUE).toString('base64');
  const rounds: Round[] = agents.map((agent) => async (seq) => {
    const body = `{"key":"${Buffer.from(`key:${seq % KEYSPACE}`).toString('base64')}","value":"${value}"}`;
    const reply = await httpPost(agent, port, '/v3/kv/put', body);
    if (!reply.includes('"revision"')) throw new Error(`etcd put answered ${reply.slice(0, 200)}`);
    return 1;
  });
  const close = () => agents.forEach((a) => a.destroy());
  try {
    return await closedLoop({ rounds, close }, shape);
  } finally {
    close();
  }
}

/** POST a JSON body to 127.0.0.1:port; resolves with the body of a 200 reply, rejects otherwise. */
export function httpPost(agent: http.Agent | undefined, port: number, path: string, body: string, timeoutMs = 10000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path, method: 'POST', agent, timeout: timeoutMs, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if (res.statusCode === 200) resolve(text);
          else reject(new Error(`HTTP ${res.statusCode} from ${path}: ${text.slice(0, 200)}`));
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout on ${path}`)));
    req.on('error', reject);
    req.end(body);
  });
}
