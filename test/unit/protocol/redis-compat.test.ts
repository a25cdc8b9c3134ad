import { freePorts } from '../../cluster/harness';
import { expect } from 'chai';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import RedisParser from 'redis-parser';
import { CORPUS, type CorpusCase } from './corpus';

/**
 * Checks the decoder corpus against a real redis-server, when one is
 * installed (skipped otherwise): for each input, Redis must run the same
 * number of commands, then answer the same protocol error and close, or keep
 * waiting. This is what makes the corpus "what Redis does", not what we think.
 */

interface Observed {
  replies: number;
  error: string | null;
  closed: boolean;
}

function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

/** Sends the input and collects replies until the server closes or stays quiet for `quietMs`. */
function observe(port: number, input: Buffer, quietMs: number): Promise<Observed> {
  return new Promise((resolve, reject) => {
    const seen: Observed = { replies: 0, error: null, closed: false };
    const parser = new RedisParser({
      returnReply: () => {
        seen.replies++;
      },
      returnError: (e: Error) => {
        if (e.message.startsWith('ERR Protocol error')) seen.error = e.message;
        else seen.replies++;
      },
    });
    const socket = connect(port, '127.0.0.1');
    let timer: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...seen });
      socket.destroy();
    };
    const rearm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(finish, quietMs);
    };
    socket.on('connect', () => {
      socket.write(input);
      rearm();
    });
    socket.on('data', (d) => {
      parser.execute(d);
      rearm();
    });
    socket.on('close', () => {
      seen.closed = true;
      finish();
    });
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

describe('protocol corpus against a real redis-server', function () {
  let server: ChildProcess | undefined;
  let port = 0;

  before(async function () {
    this.timeout(30000);
    if (!hasRedisServer()) this.skip();
    // A free port (a random one collided once in CI), and redis-server's own words if it fails.
    [port] = await freePorts(1);
    let output = '';
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    server.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    server.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    for (let i = 0; i < 200; i++) {
      const up = await new Promise<boolean>((res) => {
        const s = connect(port, '127.0.0.1', () => {
          s.destroy();
          res(true);
        });
        s.on('error', () => res(false));
      });
      if (up) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`redis-server did not start on port ${port}:\n${output.slice(-2000)}`);
  });

  after(() => {
    server?.kill();
  });

  it('runs, rejects and waits exactly as the corpus says', async () => {
    const results = await Promise.all(
      CORPUS.map(async (c: CorpusCase) => [c, await observe(port, Buffer.from(c.input, 'latin1'), 400)] as const),
    );
    const mismatches: string[] = [];
    for (const [c, seen] of results) {
      const want: Observed = { replies: c.commands.length, error: c.error, closed: c.error !== null };
      if (JSON.stringify(seen) !== JSON.stringify(want)) {
        mismatches.push(`${c.name}: redis ${JSON.stringify(seen)}, corpus ${JSON.stringify(want)}`);
      }
    }
    expect(mismatches).to.deep.equal([]);
  });
});
