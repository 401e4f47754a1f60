import type { Bus, KvWriter, View } from '@metalbus/bus';
import { BUCKETS, type MachineRecord } from '@metalbus/events';
import type { Logger } from '@metalbus/telemetry';
import { Counter, type Registry } from 'prom-client';
import { Debouncer, type ServedFact } from './dhcp/index.js';

const MAX_MACS = 16;
const MAX_PENDING_WRITES = 256;

/**
 * What dhcp-proxy does after a reply has left: at most one `machine.discovered` per MAC and message type per
 * window, and an upsert of the machine's `machines` record (dhcp-proxy owns that bucket). Nothing here is
 * awaited by the reply path; when NATS is away events are dropped by tryPublish and writes beyond a small bound
 * are dropped too — counted, never queued without bound.
 */
export function createDiscovery(opts: {
  bus: Bus;
  kv: KvWriter;
  machines: View<MachineRecord>;
  debounceMs: number;
  registry: Registry;
  logger: Logger;
  now?: () => Date;
}) {
  const { bus, kv, machines, logger } = opts;
  const now = opts.now ?? (() => new Date());
  const debouncer = new Debouncer({ windowMs: opts.debounceMs, now: () => now().getTime() });
  const skipped = new Counter({
    name: 'metalbus_dhcp_proxy_discovery_skipped_total',
    help: 'Served requests not turned into events or records, by reason',
    labelNames: ['reason'],
    registers: [opts.registry],
  });
  let pendingWrites = 0;

  function record(fact: ServedFact, at: string): MachineRecord {
    const previous = machines.get(fact.machineId);
    const macs = previous ? [fact.mac, ...previous.macs.filter((m) => m !== fact.mac)].slice(0, MAX_MACS) : [fact.mac];
    return {
      machineId: fact.machineId,
      uuid: fact.uuid,
      macs,
      arch: fact.arch,
      firmware: fact.firmware,
      clientArch: fact.clientArch,
      lastAddress: fact.clientAddress ?? previous?.lastAddress ?? null,
      relay: fact.relay,
      interface: fact.interface,
      firstSeen: previous?.firstSeen ?? at,
      lastSeen: at,
    };
  }

  return {
    served(fact: ServedFact): void {
      if (!debouncer.admit(fact.mac, `${fact.messageType}/${fact.port}`)) {
        skipped.inc({ reason: 'debounced' });
        return;
      }
      const at = now().toISOString();
      bus.tryPublish('discovered', { schema: 1, at, ...fact });
      if (pendingWrites >= MAX_PENDING_WRITES || !bus.isConnected()) {
        skipped.inc({ reason: bus.isConnected() ? 'writes-overloaded' : 'disconnected' });
        return;
      }
      pendingWrites++;
      kv.put(BUCKETS.machines, fact.machineId, record(fact, at)).then(
        () => pendingWrites--,
        (err: unknown) => {
          pendingWrites--;
          skipped.inc({ reason: 'write-failed' });
          logger.debug({ err, machineId: fact.machineId }, 'machines record not written');
        },
      );
    },
  };
}
