// Prometheus metrics of the TFTP server, registered on the Registry the caller passes (one server per registry).
// Per-transfer figures are added once when a transfer ends, never per packet.
import type { Registry } from 'prom-client';
import type { DropReason } from './admit.js';
import type { SessionDropReason } from './session.js';
import { Counter, Gauge, Histogram } from 'prom-client';

/** How a transfer (or a refused request) ended. */
export type TransferOutcome =
  | 'completed'
  | 'rejected' // answered with an ERROR before any data (not found, write, busy, …)
  | 'timeout'
  | 'peer-error' // the client sent ERROR
  | 'peer-unreachable' // ICMP port unreachable: the client went away
  | 'socket-error'
  | 'stopped';

/** Datagrams that got no answer, on the listening port or on a transfer's port. */
export type DroppedReason = DropReason | SessionDropReason | 'internal-error';

export type TftpMetrics = {
  transferEnded(outcome: TransferOutcome, sentBytes: number, retransmits: number, durationMs: number): void;
  errorSent(code: number): void;
  dropped(reason: DroppedReason, count?: number): void;
  setActive(count: number): void;
};

const PREFIX = 'metalbus_dhcp_proxy_tftp_';

export function createTftpMetrics(registry: Registry): TftpMetrics {
  const registers = [registry];
  const transfers = new Counter({
    name: `${PREFIX}transfers_total`,
    help: 'TFTP read requests by how they ended (completed, rejected with an ERROR, timeout, peer error, ...)',
    labelNames: ['outcome'] as const,
    registers,
  });
  const bytes = new Counter({
    name: `${PREFIX}sent_bytes_total`,
    help: 'DATA payload bytes sent, retransmissions included',
    registers,
  });
  const retransmits = new Counter({
    name: `${PREFIX}retransmits_total`,
    help: 'OACK and DATA packets sent again after a timeout or a partial-window ACK',
    registers,
  });
  const errors = new Counter({
    name: `${PREFIX}errors_sent_total`,
    help: 'ERROR packets sent, by TFTP error code (RFC 1350 section 5, 8 from RFC 2347)',
    labelNames: ['code'] as const,
    registers,
  });
  const dropped = new Counter({
    name: `${PREFIX}dropped_packets_total`,
    help: 'Datagrams that got no answer, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  const active = new Gauge({
    name: `${PREFIX}active_transfers`,
    help: 'Transfers in progress',
    registers,
  });
  const duration = new Histogram({
    name: `${PREFIX}transfer_duration_seconds`,
    help: 'Duration of transfers that sent data, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });

  return {
    transferEnded(outcome, sentBytes, resent, durationMs) {
      transfers.inc({ outcome });
      if (sentBytes > 0) bytes.inc(sentBytes);
      if (resent > 0) retransmits.inc(resent);
      if (outcome !== 'rejected') duration.observe({ outcome }, durationMs / 1000);
    },
    errorSent(code) {
      errors.inc({ code: String(code) });
    },
    dropped(reason, count = 1) {
      dropped.inc({ reason }, count);
    },
    setActive(count) {
      active.set(count);
    },
  };
}
