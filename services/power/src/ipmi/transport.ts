import { type Socket, createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { IpmiError } from './errors.js';
import { type IpmiMetrics, ipmiMetrics } from './metrics.js';

/**
 * One UDP socket (per address family) shared by every BMC session of the process. RMCP+ BMCs answer to the
 * source address and port, so datagrams are routed back by remote address:port to the exchanges waiting on that
 * BMC; with one outstanding request per session this scales to thousands of BMCs without a socket (and a file
 * descriptor) each.
 *
 * The price: Linux reports ICMP "port unreachable" only on connected sockets, so a dead BMC shows up as "no
 * answer" after the retransmissions, classified 'unreachable' when the BMC never answered during the exchange.
 * Either way a datagram went out, so the error is marked `unanswered`: the BMC may have received and acted on the
 * request (only the answer was lost). Failures before anything left (closed transport, local send error on the
 * first datagram, deadline already passed) are not.
 */
export interface Peer {
  /** An IP literal (resolve host names before), as the socket reports it on received datagrams. */
  readonly address: string;
  readonly port: number;
}

export interface ExchangeOptions<T> {
  /** Human-readable name of what is awaited, for error messages ("RAKP 2", "Get Chassis Status"). */
  readonly what: string;
  /** Datagram for attempt n (0-based); a retransmission may carry a fresh session sequence number. */
  build(attempt: number): Buffer;
  /** The decoded answer when the datagram answers this exchange, else undefined. Must not throw. */
  accept(datagram: Buffer): T | undefined;
  readonly attempts: number;
  readonly attemptMs: number;
  readonly signal: AbortSignal;
}

export interface IpmiTransport {
  exchange<T>(peer: Peer, options: ExchangeOptions<T>): Promise<T>;
  /** Fire and forget (a RAKP 3 carrying an error status, a Close Session nobody waits for). */
  send(peer: Peer, datagram: Buffer): void;
  close(): Promise<void>;
}

export interface IpmiTransportOptions {
  /** Local addresses to bind; default all interfaces, ephemeral port. */
  readonly bindAddress4?: string;
  readonly bindAddress6?: string;
  /** SO_RCVBUF wish for bursts of answers from many BMCs (the kernel may cap it). */
  readonly receiveBufferBytes?: number;
  readonly logger?: Logger;
  readonly registry?: Registry;
}

interface Pending {
  heard: boolean;
  offer(datagram: Buffer): boolean;
  /** Ends the exchange with the error `make` builds, told whether a datagram of it may have left. */
  cancel(make: (unanswered: boolean) => IpmiError): void;
}

type Family = 'udp4' | 'udp6';

export function createIpmiTransport(options: IpmiTransportOptions = {}): IpmiTransport {
  const metrics: IpmiMetrics = ipmiMetrics(options.registry);
  const log = options.logger;
  const sockets = new Map<Family, Promise<Socket>>();
  const pending = new Map<string, Set<Pending>>();
  let closed = false;

  function onMessage(datagram: Buffer, from: { address: string; port: number }): void {
    const waiting = pending.get(peerKey(from));
    if (!waiting || waiting.size === 0) {
      metrics.dropped.inc({ reason: 'unsolicited' });
      log?.debug({ from: peerKey(from), bytes: datagram.length }, 'ipmi: datagram from a peer nobody waits on');
      return;
    }
    for (const p of waiting) {
      p.heard = true;
      if (p.offer(datagram)) return;
    }
    metrics.dropped.inc({ reason: 'unmatched' });
    log?.debug({ from: peerKey(from), bytes: datagram.length }, 'ipmi: datagram matched no pending request');
  }

  function socketFor(family: Family): Promise<Socket> {
    let s = sockets.get(family);
    if (!s) {
      s = new Promise<Socket>((resolve, reject) => {
        const socket = createSocket({ type: family });
        socket.on('message', onMessage);
        socket.once('error', reject);
        socket.bind(0, family === 'udp4' ? options.bindAddress4 : options.bindAddress6, () => {
          socket.off('error', reject);
          // Later errors (rare for unconnected UDP) must not crash the process; exchanges time out instead.
          socket.on('error', (err) => log?.warn({ err }, 'ipmi: UDP socket error'));
          try {
            socket.setRecvBufferSize(options.receiveBufferBytes ?? 4 * 1024 * 1024);
          } catch {
            // the kernel limit applies; not fatal
          }
          resolve(socket);
        });
      });
      sockets.set(family, s);
    }
    return s;
  }

  async function transmit(peer: Peer, datagram: Buffer): Promise<void> {
    const socket = await socketFor(isIPv6(peer.address) ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) =>
      socket.send(datagram, peer.port, peer.address, (err) => (err ? reject(err) : resolve())),
    );
  }

  function exchange<T>(peer: Peer, opts: ExchangeOptions<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const target = peerKey(peer);
      if (closed)
        return reject(new IpmiError('unreachable', `IPMI transport closed before ${opts.what} from ${target}`));
      if (opts.signal.aborted) return reject(deadline(opts.what, target, false));
      let attempt = 0;
      let timer: NodeJS.Timeout | undefined;
      let done = false;
      // Datagrams handed to the socket, and those the socket refused: while started > failed, one may be out.
      let started = 0;
      let failed = 0;
      const mayHaveLeft = (): boolean => started > failed;
      const entry: Pending = {
        heard: false,
        offer(datagram) {
          let value: T | undefined;
          try {
            value = opts.accept(datagram);
          } catch {
            value = undefined; // a decoder bug must not escape into the socket loop
          }
          if (value === undefined) return false;
          finish();
          resolve(value);
          return true;
        },
        cancel(make) {
          finish();
          reject(make(mayHaveLeft()));
        },
      };
      const onAbort = (): void => {
        finish();
        reject(deadline(opts.what, target, mayHaveLeft()));
      };
      function finish(): void {
        done = true;
        if (timer) clearTimeout(timer);
        opts.signal.removeEventListener('abort', onAbort);
        const set = pending.get(target);
        set?.delete(entry);
        if (set?.size === 0) pending.delete(target);
      }
      function fire(): void {
        if (done) return;
        if (attempt > 0) metrics.retransmits.inc();
        const datagram = opts.build(attempt);
        attempt += 1;
        started += 1;
        transmit(peer, datagram).catch((err: unknown) => {
          failed += 1;
          if (done) return;
          finish();
          reject(
            new IpmiError('unreachable', `sending to ${target} failed: ${errText(err)}`, {
              cause: err,
              unanswered: mayHaveLeft(),
            }),
          );
        });
        timer = setTimeout(() => {
          if (done) return;
          if (attempt < opts.attempts) return fire();
          finish();
          const silent = !entry.heard;
          reject(
            new IpmiError(
              silent ? 'unreachable' : 'timeout',
              `no ${opts.what} from ${target} after ${opts.attempts} attempts of ${opts.attemptMs} ms` +
                (silent ? ' (the BMC sent nothing)' : ' (the BMC answered, but not to this request)'),
              { unanswered: mayHaveLeft() },
            ),
          );
        }, opts.attemptMs);
      }
      opts.signal.addEventListener('abort', onAbort, { once: true });
      let set = pending.get(target);
      if (!set) pending.set(target, (set = new Set()));
      set.add(entry);
      fire();
    });
  }

  return {
    exchange,
    send(peer, datagram) {
      if (closed) return;
      transmit(peer, datagram).catch((err: unknown) =>
        log?.debug({ err, peer: peerKey(peer) }, 'ipmi: fire-and-forget send failed'),
      );
    },
    async close() {
      if (closed) return;
      closed = true;
      const err = (unanswered: boolean) => new IpmiError('unreachable', 'IPMI transport closed', { unanswered });
      for (const set of [...pending.values()]) for (const p of [...set]) p.cancel(err);
      const all = await Promise.allSettled([...sockets.values()]);
      sockets.clear();
      await Promise.all(
        all.map((r) =>
          r.status === 'fulfilled' ? new Promise<void>((resolve) => r.value.close(() => resolve())) : undefined,
        ),
      );
    },
  };
}

export function peerKey(peer: { address: string; port: number }): string {
  return isIPv6(peer.address) ? `[${peer.address}]:${peer.port}` : `${peer.address}:${peer.port}`;
}

function deadline(what: string, target: string, unanswered: boolean): IpmiError {
  return new IpmiError('timeout', `deadline reached while waiting for ${what} from ${target}`, { unanswered });
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
