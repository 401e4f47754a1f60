import { canonicalUuid, isUsableUuid, machineIdOf, type Arch } from '@metalbus/events';
import type { Labels } from '@metalbus/matchbox';

/** What the script routes know about the asking machine, from its labels. */
export type MachineFacts = {
  /** Canonical UUID when usable, else `mac-…`, else null (then no event is published). */
  machineId: string | null;
  mac: string | null;
  /** The `arch` label mapped as the Omni provider does: exactly `arm64` is arm64, anything else amd64. */
  arch: Arch;
  /** The same, but null when the machine sent no `arch` label (for events). */
  reportedArch: Arch | null;
};

export function machineFacts(labels: Labels): MachineFacts {
  const mac = Object.hasOwn(labels, 'mac') ? (labels['mac'] as string) : null;
  const uuidText = Object.hasOwn(labels, 'uuid') ? (labels['uuid'] as string) : '';
  const uuid = canonicalUuid(uuidText);
  let machineId: string | null = null;
  if (mac !== null) machineId = machineIdOf({ uuid: uuidText, mac });
  else if (uuid !== null && isUsableUuid(uuid)) machineId = uuid;
  const archLabel = Object.hasOwn(labels, 'arch') ? labels['arch'] : undefined;
  const reportedArch: Arch | null = archLabel === undefined ? null : archLabel === 'arm64' ? 'arm64' : 'amd64';
  return { machineId, mac, arch: reportedArch ?? 'amd64', reportedArch };
}

/** Labels as `k=v` pairs, sorted, for 404 bodies and logs. */
export function describeLabels(labels: Labels): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key] as string}`);
  return pairs.length === 0 ? '(none)' : pairs.join(' ');
}
