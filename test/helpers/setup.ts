/**
 * Loaded before every test file (see .mocharc.json).
 * Tests must never reach the internet: any connection to a host other than this machine throws.
 */
import net from 'node:net';

const LOCAL = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);
const originalConnect = net.Socket.prototype.connect;

net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  const first = args[0] as { host?: string; path?: string; port?: number } | number | string | undefined;
  let host: string | undefined;
  if (typeof first === 'object' && first !== null) host = first.path ? 'localhost' : (first.host ?? 'localhost');
  else if (typeof first === 'number') host = typeof args[1] === 'string' ? args[1] : 'localhost';
  else if (typeof first === 'string') host = 'localhost'; // a unix socket path
  if (host && !LOCAL.has(host)) {
    throw new Error(`Test tried to reach ${host}: tests must not use the network (fake the service on 127.0.0.1).`);
  }
  return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

process.env.NODE_ENV = 'test';
