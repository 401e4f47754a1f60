/**
 * Which machine a remote address belongs to, learned from the script requests it made. Kernel and initramfs
 * URLs carry no machine id, so asset events are attributed to the machine that last fetched a script from the
 * same address. Bounded: the oldest address is forgotten first.
 */
export function createMachineByAddress(limit = 65_536) {
  const map = new Map<string, string>();
  return {
    remember(address: string | null, machineId: string): void {
      if (address === null) return;
      map.delete(address);
      map.set(address, machineId);
      if (map.size > limit) map.delete(map.keys().next().value as string);
    },
    lookup(address: string | undefined): string | null {
      return address === undefined ? null : (map.get(address) ?? null);
    },
  };
}
