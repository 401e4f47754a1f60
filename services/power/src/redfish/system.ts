import { canonicalUuid, uuidFromGuidBytes } from '@metalbus/events';
import { BmcError } from '../drivers/driver.js';
import type { RedfishClient } from './client.js';
import { collectionSchema, computerSystemSchema, type ServiceRoot } from './schemas.js';

/** What the service root tells us, once per driver. */
export interface ServiceInfo {
  systemsPath: string;
  /** SessionService `Sessions` collection; the DSP0266 well-known path when the root does not link it. */
  sessionsPath: string;
  /** AMI MegaRAC-style BMC: `Vendor: "AMI"` or an `Oem.Ami` block in the root. */
  amiLike: boolean;
}

export const DEFAULT_SESSIONS_PATH = '/redfish/v1/SessionService/Sessions';

export function serviceInfoOf(root: ServiceRoot): ServiceInfo | null {
  const systemsPath = root.Systems?.['@odata.id'];
  if (systemsPath === undefined) return null;
  const oem = root.Oem ?? {};
  return {
    systemsPath,
    sessionsPath: root.Links?.Sessions?.['@odata.id'] ?? DEFAULT_SESSIONS_PATH,
    amiLike: root.Vendor === 'AMI' || Object.hasOwn(oem, 'Ami'),
  };
}

export interface SystemCandidate {
  path: string;
  id: string | null;
  uuid: string | null;
}

export type SystemPick = { ok: true; path: string } | { ok: false; reason: string };

/**
 * Pure: which member of the Systems collection is ours.
 * 1. `systemId` (member Id, last path segment, full `@odata.id` or UUID) when given — it always wins;
 * 2. the only member when there is one;
 * 3. the member whose `UUID` is the machine's UUID. Some BMCs print the SMBIOS UUID with its first three
 *    fields byte-swapped (the raw SMBIOS/EFI layout), so that form matches too.
 * Several members and no match is an error: driving the wrong machine is worse than driving none.
 */
export function pickSystem(
  candidates: readonly SystemCandidate[],
  systemId: string | null,
  machineUuid: string | null,
): SystemPick {
  if (candidates.length === 0) return { ok: false, reason: 'the BMC lists no systems' };
  const names = candidates.map((c) => c.id ?? lastSegment(c.path)).join(', ');
  if (systemId !== null) {
    const wantedUuid = canonicalUuid(systemId);
    const hit = candidates.find(
      (c) =>
        c.path === systemId ||
        lastSegment(c.path) === systemId ||
        c.id === systemId ||
        (wantedUuid !== null && uuidMatches(c.uuid, wantedUuid)),
    );
    return hit !== undefined
      ? { ok: true, path: hit.path }
      : { ok: false, reason: `no system "${systemId}" (systems: ${names})` };
  }
  const only = candidates.length === 1 ? candidates[0] : undefined;
  if (only !== undefined) return { ok: true, path: only.path };
  const wanted = machineUuid === null ? null : canonicalUuid(machineUuid);
  if (wanted === null)
    return { ok: false, reason: `${candidates.length} systems (${names}) and no UUID to choose by; set systemId` };
  const hit = candidates.find((c) => uuidMatches(c.uuid, wanted));
  return hit !== undefined
    ? { ok: true, path: hit.path }
    : { ok: false, reason: `none of ${candidates.length} systems (${names}) has UUID ${wanted}; set systemId` };
}

function uuidMatches(reported: string | null, wanted: string): boolean {
  if (reported === null) return false;
  const canonical = canonicalUuid(reported);
  if (canonical === null) return false;
  return canonical === wanted || canonical === swappedUuid(wanted);
}

/** The same UUID with its first three fields byte-swapped. */
function swappedUuid(uuid: string): string | null {
  return uuidFromGuidBytes(Buffer.from(uuid.replace(/-/g, ''), 'hex'));
}

function lastSegment(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/**
 * I/O around pickSystem: list the collection and, only when the pick needs them, GET the members for their
 * Id/UUID. Members that cannot be read are skipped rather than failing the whole lookup.
 */
export async function locateSystem(
  client: RedfishClient,
  info: ServiceInfo,
  choice: { systemId: string | null; machineUuid: string | null },
  operation: string,
  signal: AbortSignal,
): Promise<string> {
  const { value: collection } = await client.read(collectionSchema, info.systemsPath, operation, signal);
  const bare: SystemCandidate[] = collection.Members.map((m) => ({ path: m['@odata.id'], id: null, uuid: null }));
  // Paths alone settle a single member or a systemId naming a path; anything else needs each member's Id/UUID.
  const cheap = pickSystem(bare, choice.systemId, null);
  if (cheap.ok) return cheap.path;
  const candidates = await Promise.all(
    bare.map(async (member): Promise<SystemCandidate> => {
      try {
        const { value } = await client.read(computerSystemSchema, member.path, operation, signal);
        return { path: member.path, id: value.Id ?? null, uuid: value.UUID ?? null };
      } catch (error) {
        if (!(error instanceof BmcError) || error.transient || error.code === 'auth-failed') throw error;
        return member;
      }
    }),
  );
  const pick = pickSystem(candidates, choice.systemId, choice.machineUuid);
  if (!pick.ok) throw new BmcError('unsupported', client.target, operation, pick.reason);
  return pick.path;
}
