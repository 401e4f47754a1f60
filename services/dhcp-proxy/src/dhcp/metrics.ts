// Prometheus metrics of the ProxyDHCP half. Label children are created up front (or once, then cached) so the
// reply path does no label hashing.

import { Counter, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { Firmware, MachineArch } from './classify.js';
import { DropReasons } from './decide.js';
import type { DropReason, Listener } from './decide.js';
import { DhcpDecodeErrorCodes } from './errors.js';
import type { DhcpDecodeErrorCode } from './errors.js';

const PREFIX = 'metalbus_dhcp_proxy_dhcp_';

type Inc = { inc(): void };

export interface DhcpMetrics {
  replied(reply: 'offer' | 'ack', arch: MachineArch, firmware: Firmware, port: Listener, seconds: number): void;
  dropped(reason: DropReason): void;
  decodeFailed(code: DhcpDecodeErrorCode): void;
  sendFailed(): void;
  callbackFailed(callback: 'onServed' | 'onObserved'): void;
  internalError(): void;
}

export function createDhcpMetrics(registry: Registry): DhcpMetrics {
  const registers = [registry];
  const replies = new Counter({
    name: `${PREFIX}replies_total`,
    help: 'ProxyDHCP replies sent, by reply type (offer on 67, ack on 4011 or 67), machine arch, firmware and port',
    labelNames: ['reply', 'arch', 'firmware', 'port'] as const,
    registers,
  });
  const drops = new Counter({
    name: `${PREFIX}drops_total`,
    help: 'Decoded DHCP messages not answered, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  const decodeErrors = new Counter({
    name: `${PREFIX}decode_errors_total`,
    help: 'Datagrams that are not well-formed DHCP messages, by error code',
    labelNames: ['code'] as const,
    registers,
  });
  const sendErrors = new Counter({
    name: `${PREFIX}send_errors_total`,
    help: 'Replies the socket failed to send',
    registers,
  });
  const callbackErrors = new Counter({
    name: `${PREFIX}callback_errors_total`,
    help: 'onServed/onObserved callbacks that threw or rejected (the reply was sent regardless)',
    labelNames: ['callback'] as const,
    registers,
  });
  const internalErrors = new Counter({
    name: `${PREFIX}internal_errors_total`,
    help: 'Requests dropped by an unexpected error in the reply path (a bug)',
    registers,
  });
  const latency = new Histogram({
    name: `${PREFIX}reply_duration_seconds`,
    help: 'Time from receiving a request to handing the reply to the kernel (excludes time queued in the socket)',
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05],
    registers,
  });

  const dropChildren = new Map<DropReason, Inc>(DropReasons.map((r) => [r, drops.labels(r)]));
  const decodeChildren = new Map<DhcpDecodeErrorCode, Inc>(
    DhcpDecodeErrorCodes.map((c) => [c, decodeErrors.labels(c)]),
  );
  const callbackChildren = {
    onServed: callbackErrors.labels('onServed'),
    onObserved: callbackErrors.labels('onObserved'),
  };
  const replyChildren = new Map<string, Inc>();

  return {
    replied(reply, arch, firmware, port, seconds) {
      const key = `${reply}/${arch}/${firmware}/${port}`;
      let child = replyChildren.get(key);
      if (child === undefined) {
        child = replies.labels(reply, arch, firmware, String(port));
        replyChildren.set(key, child);
      }
      child.inc();
      latency.observe(seconds);
    },
    dropped: (reason) => dropChildren.get(reason)?.inc(),
    decodeFailed: (code) => decodeChildren.get(code)?.inc(),
    sendFailed: () => sendErrors.inc(),
    callbackFailed: (callback) => callbackChildren[callback].inc(),
    internalError: () => internalErrors.inc(),
  };
}
