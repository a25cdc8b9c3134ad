import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import RedisParser from 'redis-parser';
import { CORPUS, type CorpusCase } from './corpus';
import { startReferenceRedis, type ReferenceRedis } from '../../support/reference-redis';

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
  let server: ReferenceRedis | undefined;
  let port = 0;

  before(async function () {
    this.timeout(30000);
    if (!hasRedisServer()) this.skip();
    server = await startReferenceRedis();
    port = server.port;
  });

  after(async () => {
    await server?.stop();
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
