import { mkdirSync } from 'node:fs';
import { ConfigError, helpText, parseArgs } from './config';
import { buildCommandTable } from './commands/registry';
import { StateMachine } from './fsm';
import { Keyspace } from './keyspace';
import { LocalLog } from './local-log';
import { createLogger } from './log';
import { Server } from './server';

/** Starts one node from command-line arguments; resolves once it listens. */
export async function main(argv: string[]): Promise<Server | undefined> {
  let parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`raftcache-server: ${e.message}\n`);
    process.exitCode = 1;
    return undefined;
  }
  if (parsed.help) {
    process.stdout.write(helpText() + '\n');
    return undefined;
  }
  const config = parsed.config;
  const log = createLogger({ port: config.port }, config.loglevel);
  mkdirSync(config.dir, { recursive: true });

  const table = buildCommandTable();
  const keyspace = new Keyspace(config.databases);
  const fsm = new StateMachine(keyspace, (n) => table.data(n), log);
  const server = new Server({ config, log, table, keyspace, fsm, replicator: new LocalLog(fsm) });

  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception; exiting');
    process.exit(1);
  });
  const stop = (signal: string) => {
    log.info({ signal }, 'shutting down');
    server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));

  try {
    await server.listen();
  } catch (err) {
    log.fatal({ err }, 'could not listen');
    process.exit(1);
  }
  return server;
}

if (require.main === module) {
  void main(process.argv.slice(2));
}
