import { readFile } from 'node:fs/promises';
import type { View } from '@metalbus/bus';
import { machineIdOf, normalizeMac, type MachineRecord } from '@metalbus/events';

/**
 * Which machine a TFTP peer address is. TFTP carries no identity, so dhcp-proxy remembers the address each
 * netboot client takes from the site DHCP server (its REQUEST's option 50, or ciaddr on 4011), and falls back to
 * the kernel's ARP table (the peer just talked to us, so its MAC is there) and the `machines` records.
 */
export function createAttribution(opts: {
  machines: View<MachineRecord>;
  limit?: number;
  readArpTable?: () => Promise<string>;
}) {
  const limit = opts.limit ?? 65_536;
  const byAddress = new Map<string, string>();
  const readArp = opts.readArpTable ?? (() => readFile('/proc/net/arp', 'utf8'));

  function byMac(mac: string): string {
    for (const [id, record] of opts.machines.entries()) if (record.macs.includes(mac)) return id;
    return machineIdOf({ mac });
  }

  return {
    remember(address: string | null, machineId: string): void {
      if (address === null) return;
      byAddress.delete(address);
      byAddress.set(address, machineId);
      if (byAddress.size > limit) byAddress.delete(byAddress.keys().next().value as string);
    },
    async machineOf(address: string): Promise<string | null> {
      const known = byAddress.get(address);
      if (known !== undefined) return known;
      let table: string;
      try {
        table = await readArp();
      } catch {
        return null;
      }
      // /proc/net/arp: "IP address  HW type  Flags  HW address  Mask  Device", one row per neighbour.
      for (const line of table.split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        if (cols[0] !== address || cols[3] === undefined) continue;
        const mac = normalizeMac(cols[3]);
        if (mac !== null && mac !== '00:00:00:00:00:00') return byMac(mac);
      }
      return null;
    },
  };
}
