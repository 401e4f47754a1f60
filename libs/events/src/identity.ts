// Machine identity (ARCHITECTURE.md "Identity"): the SMBIOS UUID in canonical lower-case text, or `mac-<12 hex>`
// when no usable UUID is known.

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAC_ID_RE = /^mac-[0-9a-f]{12}$/;
const MAC_RE = /^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/;

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const FF_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

/** Canonical lower-case UUID text, or null when `text` is not a UUID (with or without dashes or braces). */
export function canonicalUuid(text: string): string | null {
  const hex = text
    .trim()
    .toLowerCase()
    .replace(/^\{|\}$/g, '')
    .replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/.test(hex)) return null;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A UUID that identifies a machine: neither all-zero nor all-FF (firmware placeholders). */
export function isUsableUuid(uuid: string): boolean {
  return UUID_RE.test(uuid) && uuid !== ZERO_UUID && uuid !== FF_UUID;
}

/**
 * The 16 GUID bytes of DHCP option 97 (RFC 4578 §2.3, after the type byte 0) as canonical UUID text.
 * PXE firmware sends the SMBIOS GUID with its first three fields little-endian (the EFI_GUID layout),
 * while iPXE's `${uuid}`, Omni and Redfish print them big-endian, so those fields are byte-swapped here.
 */
export function uuidFromGuidBytes(guid: Uint8Array): string | null {
  if (guid.length !== 16) return null;
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  let hex = '';
  for (const i of order) hex += (guid[i] as number).toString(16).padStart(2, '0');
  return canonicalUuid(hex);
}

/** The inverse of uuidFromGuidBytes: the on-wire option-97 GUID bytes for a canonical UUID. */
export function guidBytesFromUuid(uuid: string): Uint8Array {
  const canonical = canonicalUuid(uuid);
  if (canonical === null) throw new RangeError(`not a UUID: ${uuid}`);
  const be = Buffer.from(canonical.replace(/-/g, ''), 'hex');
  const order = [3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15];
  return Uint8Array.from(order.map((i) => be[i] as number));
}

/** Lower-case, colon-separated MAC, or null. Accepts `:`/`-` separated or bare 12-hex forms. */
export function normalizeMac(text: string): string | null {
  const lower = text.trim().toLowerCase();
  if (!MAC_RE.test(lower)) return null;
  const hex = lower.replace(/[:-]/g, '');
  return hex.match(/../g)!.join(':');
}

const HEX_BYTE = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** MAC bytes (e.g. a DHCP chaddr of hlen 6) as a normalised MAC. On the DHCP hot path: a table, no arrays. */
export function macFromBytes(bytes: Uint8Array): string {
  let mac = '';
  for (let i = 0; i < bytes.length; i++) mac += (i === 0 ? '' : ':') + (HEX_BYTE[bytes[i] as number] as string);
  return mac;
}

/** The fallback id of a machine without a usable UUID: `mac-aabbccddeeff`. */
export function macMachineId(mac: string): string {
  const normalized = normalizeMac(mac);
  if (normalized === null) throw new RangeError(`not a MAC address: ${mac}`);
  return `mac-${normalized.replace(/:/g, '')}`;
}

/** The machine id for what a client told us: its UUID when usable, else its MAC. */
export function machineIdOf(facts: { uuid?: string | null; mac: string }): string {
  const uuid = facts.uuid ? canonicalUuid(facts.uuid) : null;
  if (uuid !== null && isUsableUuid(uuid)) return uuid;
  return macMachineId(facts.mac);
}

/** True for a well-formed machine id (canonical UUID or `mac-…`); used to guard subject tokens. */
export function isMachineId(id: string): boolean {
  return (UUID_RE.test(id) && isUsableUuid(id)) || MAC_ID_RE.test(id);
}
