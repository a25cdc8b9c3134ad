/**
 * Redis's protected mode: with protected-mode yes and no password, a client
 * that does not connect from the loopback interface is told why and
 * disconnected (networking.c clientAcceptHandler), so a server bound to a
 * public address by mistake does not serve the internet.
 */
import net from 'node:net';

/** Redis 7.0's reply, word for word (including its "Setup a an"). */
export const PROTECTED_MODE_DENIED =
  '-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. ' +
  'In this mode connections are only accepted from the loopback interface. ' +
  'If you want to connect from external computers to Redis you may adopt one of the following solutions: ' +
  "1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, " +
  'however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. ' +
  "2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. " +
  "3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. " +
  '4) Setup a an authentication password for the default user. ' +
  'NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n';

/**
 * Whether an address is on the loopback interface: 127.0.0.0/8, ::1, their
 * IPv4-mapped form (a socket on `::` reports IPv4 peers as ::ffff:a.b.c.d),
 * or the name localhost. Anything unknown counts as not loopback (fail closed).
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const a = address.toLowerCase();
  if (a === 'localhost' || a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  const v4 = a.startsWith('::ffff:') ? a.slice(7) : a;
  return net.isIPv4(v4) && v4.startsWith('127.');
}

/**
 * Redis's rule: protected mode on, the default user needs no password, and a
 * client from outside the loopback interface. `defaultNopass` is the ACL
 * view of "no password" (requirepass, unless ACL set default's passwords).
 */
export function protectedModeDenies(
  config: { readonly 'protected-mode': string; readonly requirepass: string },
  remoteAddress: string | undefined,
  defaultNopass = config.requirepass === '',
): boolean {
  return config['protected-mode'] === 'yes' && defaultNopass && !isLoopbackAddress(remoteAddress);
}
