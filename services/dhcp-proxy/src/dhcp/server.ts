// The ProxyDHCP socket loop, kept thin: read → decode → decide → build → encode → send, then report.
// Callbacks run after the send, are never awaited and cannot break the loop (architecture principle 1).

import { createSocket } from 'node:dgram';
import type { RemoteInfo, Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { BootFiles } from './boot-file.js';
import { createDecideContext } from './decide.js';
import type { DecideContext, DhcpMode, Listener } from './decide.js';
import { DhcpServerError } from './errors.js';
import { observedFact, servedFact } from './facts.js';
import type { ObservedFact, ServedFact } from './facts.js';
import { resolveAddresses } from './interfaces.js';
import type { InterfaceTable } from './interfaces.js';
import { createDhcpMetrics } from './metrics.js';
import type { DhcpMetrics } from './metrics.js';
import type { ReplyPorts } from './reply.js';
import { respond } from './respond.js';

export interface DhcpServerOptions {
  readonly mode: DhcpMode;
  readonly interfaceName: string | null;
  readonly advertiseAddress: string | null;
  /** Address both listeners bind; 0.0.0.0 (default) is needed to receive broadcast DISCOVERs. */
  readonly listenAddress?: string;
  readonly ports: { readonly dhcp: number; readonly pxe: number };
  /** Client (68) and relay (67) ports replies go to; configurable for tests only. */
  readonly replyPorts?: ReplyPorts;
  readonly httpPort: number;
  readonly bootFiles: BootFiles;
  readonly overrides: ReadonlyMap<string, string>;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Called after each reply is handed to the socket. Never awaited; errors are counted and logged. */
  readonly onServed?: (fact: ServedFact) => unknown;
  /** Called for netboot REQUESTs that take an address from the site DHCP server (option 50 → MAC). */
  readonly onObserved?: (fact: ObservedFact) => unknown;
  /** The host's interfaces; default os.networkInterfaces (injectable for tests). */
  readonly networkInterfaces?: () => InterfaceTable;
}

export interface DhcpServerStarted {
  readonly addresses: readonly { readonly address: string; readonly port: number }[];
  readonly serverAddress: string | null;
  readonly interfaceName: string | null;
}

export interface DhcpServer {
  start(): Promise<DhcpServerStarted>;
  stop(): Promise<void>;
}

/**
 * Reply destinations are always IPv4 literals (rinfo, giaddr, ciaddr, broadcast), so skip dns.lookup: it would
 * defer every send by a tick. Answering synchronously makes send() hand the datagram to the kernel at once.
 */
function ipLiteralLookup(
  address: string,
  _options: unknown,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  if (isIPv4(address)) callback(null, address, 4);
  else callback(Object.assign(new Error(`not an IPv4 literal: ${address}`), { code: 'EINVAL' }), address, 4);
}

function bind(address: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    // reuseAddr: Linux then delivers broadcasts to every socket on the port, so we can share a host with another
    // listener that also set it, and bind the wildcard and the server address side by side.
    const socket = createSocket({ type: 'udp4', reuseAddr: true, lookup: ipLiteralLookup });
    const onError = (err: Error) => {
      socket.close();
      reject(new DhcpServerError('bind-failed', `cannot bind UDP ${address}:${port}: ${err.message}`, { cause: err }));
    };
    socket.once('error', onError);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', onError);
      socket.setBroadcast(true);
      resolve(socket);
    });
  });
}

/** Calls a fire-and-forget callback; a throw or a rejected promise is counted, never propagated. */
function notify<T>(
  callback: ((fact: T) => unknown) | undefined,
  fact: T,
  name: 'onServed' | 'onObserved',
  metrics: DhcpMetrics,
  logger: Logger,
): void {
  if (callback === undefined) return;
  const failed = (err: unknown) => {
    metrics.callbackFailed(name);
    logger.warn({ err, callback: name }, 'dhcp callback failed');
  };
  try {
    const result = callback(fact);
    if (result instanceof Promise) result.catch(failed);
  } catch (err) {
    failed(err);
  }
}

export function createDhcpServer(options: DhcpServerOptions): DhcpServer {
  const { logger } = options;
  const metrics = createDhcpMetrics(options.registry);
  const replyPorts = options.replyPorts ?? { client: 68, relay: 67 };
  const sockets: Socket[] = [];
  let iface: string | null = null;

  function handle(listener: Listener, sendVia: Socket, msg: Buffer, rinfo: RemoteInfo, ctx: DecideContext): void {
    const started = performance.now();
    const outcome = respond(msg, listener, { address: rinfo.address, port: rinfo.port }, ctx, replyPorts);
    if (outcome.kind === 'malformed') {
      metrics.decodeFailed(outcome.error.code);
      if (logger.isLevelEnabled('debug')) {
        logger.debug({ from: rinfo.address, code: outcome.error.code, err: outcome.error }, 'dhcp decode failed');
      }
      return;
    }
    if (outcome.kind === 'drop') {
      metrics.dropped(outcome.reason);
      if (logger.isLevelEnabled('debug')) {
        logger.debug({ from: rinfo.address, xid: outcome.request.xid, reason: outcome.reason, listener }, 'dhcp drop');
      }
      const fact = outcome.observe && options.onObserved !== undefined ? observedFact(outcome.request, iface) : null;
      if (fact !== null) notify(options.onObserved, fact, 'onObserved', metrics, logger);
      return;
    }
    const { plan, to } = outcome;
    // With the IP-literal lookup below the datagram is handed to the kernel inside this call, so the time taken
    // right after it is receive → send.
    sendVia.send(outcome.bytes, to.port, to.address, onSent);
    metrics.replied(plan.reply, plan.client.arch, plan.client.firmware, listener, (performance.now() - started) / 1000);
    if (options.onServed !== undefined) {
      notify(options.onServed, servedFact(outcome.request, plan, listener, iface), 'onServed', metrics, logger);
    }
  }

  /** One shared completion callback: no closure per reply. */
  function onSent(err: Error | null): void {
    if (err === null) return;
    metrics.sendFailed();
    logger.warn({ err }, 'dhcp reply not sent');
  }

  function listen(socket: Socket, listener: Listener, sendVia: Socket, ctx: DecideContext): void {
    socket.on('message', (msg, rinfo) => {
      try {
        handle(listener, sendVia, msg, rinfo, ctx);
      } catch (err) {
        // A bug, not hostile input (the decoder returns values): keep serving, make it visible.
        metrics.internalError();
        logger.error({ err, from: rinfo.address }, 'dhcp handler failed');
      }
    });
    socket.on('error', (err) => logger.error({ err, listener }, 'dhcp socket error'));
  }

  return {
    async start() {
      if (options.mode === 'off') {
        logger.info('ProxyDHCP off (DHCP_MODE=off)');
        return { addresses: [], serverAddress: null, interfaceName: null };
      }
      const table = (options.networkInterfaces ?? networkInterfaces)();
      const resolved = resolveAddresses(
        { interfaceName: options.interfaceName, advertiseAddress: options.advertiseAddress },
        table,
      );
      if (!resolved.ok) throw new DhcpServerError('no-server-address', resolved.message);
      const addresses = resolved.value;
      iface = addresses.interfaceName;
      const ctx = createDecideContext({
        mode: options.mode,
        serverAddress: addresses.serverAddress,
        ownAddresses: addresses.ownAddresses,
        httpHost: addresses.httpHost,
        httpPort: options.httpPort,
        bootFiles: options.bootFiles,
        overrides: options.overrides,
      });
      const listenAddress = options.listenAddress ?? '0.0.0.0';
      try {
        if (options.mode === 'both') {
          const any = await bind(listenAddress, options.ports.dhcp);
          sockets.push(any);
          // Replies leave from a socket bound to the server address: Linux then routes 255.255.255.255 out of
          // that address's interface (no broadcast route needed), and unicasts to us:67 (relays) arrive on it.
          let sendVia = any;
          if (addresses.serverAddressIsLocal && listenAddress !== addresses.serverAddress) {
            sendVia = await bind(addresses.serverAddress, options.ports.dhcp);
            sockets.push(sendVia);
            listen(sendVia, 67, sendVia, ctx);
          }
          listen(any, 67, sendVia, ctx);
        }
        const pxe = await bind(listenAddress, options.ports.pxe);
        sockets.push(pxe);
        listen(pxe, 4011, pxe, ctx);
      } catch (err) {
        await closeAll();
        throw err;
      }
      const bound = sockets.map((s) => s.address()).map((a) => ({ address: a.address, port: a.port }));
      logger.info(
        { mode: options.mode, bound, server: addresses.serverAddress, interface: iface },
        'ProxyDHCP listening',
      );
      return { addresses: bound, serverAddress: addresses.serverAddress, interfaceName: iface };
    },
    stop: closeAll,
  };

  async function closeAll(): Promise<void> {
    const closing = sockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    await Promise.all(closing);
  }
}
