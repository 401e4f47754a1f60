// Typed readings of single DHCP options (RFC 2132, RFC 3004, RFC 3046, RFC 4578) and their encodings.

import { decodeIpxeOptions, decodeVendorOptions, encodeIpxeOptions, encodeVendorOptions } from './encapsulated.js';
import type { DhcpDecodeErrorCode } from './errors.js';
import { Opt } from './options.js';
import type { DhcpOptions, RawOption, UserClass } from './packet.js';
import { ipv4At } from './wire.js';
import type { OptionWriter } from './wire.js';

export type MutableOptions = { -readonly [K in keyof DhcpOptions]: DhcpOptions[K] } & { other: RawOption[] };

/** Codes with a typed field; they may not appear in `other` (the encoder would write them twice). */
const TYPED_CODES: ReadonlySet<number> = new Set([
  Opt.messageType,
  Opt.serverId,
  Opt.requestedIp,
  Opt.parameterList,
  Opt.maxMessageSize,
  Opt.vendorClass,
  Opt.clientId,
  Opt.tftpServer,
  Opt.bootFile,
  Opt.vendorSpecific,
  Opt.userClass,
  Opt.relayAgent,
  Opt.clientArch,
  Opt.clientNdi,
  Opt.clientMachineId,
  Opt.ipxe,
]);

/** RFC 3004 §4: one or more {length ≥ 1, text}. iPXE sends its raw text instead, so fall back to one raw class. */
function decodeUserClass(buf: Buffer, off: number, len: number): UserClass {
  const end = off + len;
  const classes: string[] = [];
  let i = off;
  while (i < end) {
    const n = buf[i] as number;
    if (n === 0 || i + 1 + n > end) return { format: 'raw', classes: [buf.toString('latin1', off, end)] };
    classes.push(buf.toString('latin1', i + 1, i + 1 + n));
    i += 1 + n;
  }
  if (classes.length === 0) return { format: 'raw', classes: [''] };
  return { format: 'rfc3004', classes };
}

/**
 * Stores the option `code` whose (possibly RFC 3396-concatenated) data is `buf[off, off + len)` into `o`.
 * Returns an error code when a fixed-size option has the wrong size, else null.
 */
export function readOption(
  o: MutableOptions,
  code: number,
  buf: Buffer,
  off: number,
  len: number,
): DhcpDecodeErrorCode | null {
  switch (code) {
    case Opt.messageType: // RFC 2132 §9.6: 1 byte
      if (len !== 1) return 'bad-option-length';
      o.messageType = buf[off] as number;
      return null;
    case Opt.serverId: // RFC 2132 §9.7: 4 bytes
      if (len !== 4) return 'bad-option-length';
      o.serverId = ipv4At(buf, off);
      return null;
    case Opt.requestedIp: // RFC 2132 §9.1: 4 bytes
      if (len !== 4) return 'bad-option-length';
      o.requestedIp = ipv4At(buf, off);
      return null;
    case Opt.maxMessageSize: // RFC 2132 §9.10: 2 bytes
      if (len !== 2) return 'bad-option-length';
      o.maxMessageSize = buf.readUInt16BE(off);
      return null;
    case Opt.parameterList:
      o.parameterList = buf.subarray(off, off + len);
      return null;
    case Opt.vendorClass:
      o.vendorClass = buf.toString('latin1', off, off + len);
      return null;
    case Opt.clientId:
      o.clientId = buf.subarray(off, off + len);
      return null;
    case Opt.tftpServer:
      o.tftpServer = buf.toString('latin1', off, off + len);
      return null;
    case Opt.bootFile:
      o.bootFile = buf.toString('latin1', off, off + len);
      return null;
    case Opt.vendorSpecific:
      o.vendor = decodeVendorOptions(buf, off, len);
      return null;
    case Opt.userClass:
      o.userClass = decodeUserClass(buf, off, len);
      return null;
    case Opt.relayAgent:
      o.relayAgent = buf.subarray(off, off + len);
      return null;
    case Opt.clientArch: {
      // RFC 4578 §2.1: a non-empty list of 16-bit types
      if (len === 0 || len % 2 !== 0) return 'bad-option-length';
      const arches: number[] = [];
      for (let i = off; i < off + len; i += 2) arches.push(buf.readUInt16BE(i));
      o.clientArch = arches;
      return null;
    }
    case Opt.clientNdi: // RFC 4578 §2.2: type, major, minor
      if (len !== 3) return 'bad-option-length';
      o.clientNdi = { type: buf[off] as number, major: buf[off + 1] as number, minor: buf[off + 2] as number };
      return null;
    case Opt.clientMachineId: // RFC 4578 §2.3: type byte, then the id (16 bytes for type 0); checked by decide()
      if (len === 0) return 'bad-option-length';
      o.clientMachineId = { type: buf[off] as number, id: buf.subarray(off + 1, off + len) };
      return null;
    case Opt.ipxe:
      o.ipxe = decodeIpxeOptions(buf, off, len);
      return null;
    default:
      o.other.push({ code, data: buf.subarray(off, off + len) });
      return null;
  }
}

function text(w: OptionWriter, code: number, value: string | undefined): void {
  if (value === undefined) return;
  w.begin(code);
  w.latin1(value);
  w.end();
}

function bytes(w: OptionWriter, code: number, value: Uint8Array | undefined): void {
  if (value === undefined) return;
  w.begin(code);
  w.bytes(value);
  w.end();
}

function ipv4(w: OptionWriter, code: number, value: string | undefined): void {
  if (value === undefined) return;
  w.begin(code);
  w.ipv4(value);
  w.end();
}

/**
 * Writes every option of `o`: 53 first (what clients look for), 54, the other typed options by code, `other` in
 * the given order, and 82 last (RFC 3046 §2.1). Throws RangeError on values that cannot be encoded.
 */
export function writeOptions(w: OptionWriter, o: DhcpOptions): void {
  if (o.messageType !== undefined) {
    w.begin(Opt.messageType);
    w.u8(o.messageType);
    w.end();
  }
  ipv4(w, Opt.serverId, o.serverId);
  if (o.vendor !== undefined) {
    w.begin(Opt.vendorSpecific);
    encodeVendorOptions(w, o.vendor);
    w.end();
  }
  ipv4(w, Opt.requestedIp, o.requestedIp);
  bytes(w, Opt.parameterList, o.parameterList);
  if (o.maxMessageSize !== undefined) {
    w.begin(Opt.maxMessageSize);
    w.u16(o.maxMessageSize);
    w.end();
  }
  text(w, Opt.vendorClass, o.vendorClass);
  bytes(w, Opt.clientId, o.clientId);
  text(w, Opt.tftpServer, o.tftpServer);
  text(w, Opt.bootFile, o.bootFile);
  if (o.userClass !== undefined) {
    w.begin(Opt.userClass);
    if (o.userClass.format === 'raw') {
      w.latin1(o.userClass.classes.join(''));
    } else {
      for (const c of o.userClass.classes) {
        if (c.length < 1 || c.length > 255) throw new RangeError('RFC 3004 user class must be 1-255 bytes');
        w.u8(c.length);
        w.latin1(c);
      }
    }
    w.end();
  }
  if (o.clientArch !== undefined) {
    if (o.clientArch.length === 0) throw new RangeError('option 93 needs at least one architecture');
    w.begin(Opt.clientArch);
    for (const arch of o.clientArch) w.u16(arch);
    w.end();
  }
  if (o.clientNdi !== undefined) {
    w.begin(Opt.clientNdi);
    w.u8(o.clientNdi.type);
    w.u8(o.clientNdi.major);
    w.u8(o.clientNdi.minor);
    w.end();
  }
  if (o.clientMachineId !== undefined) {
    w.begin(Opt.clientMachineId);
    w.u8(o.clientMachineId.type);
    w.bytes(o.clientMachineId.id);
    w.end();
  }
  if (o.ipxe !== undefined) {
    w.begin(Opt.ipxe);
    encodeIpxeOptions(w, o.ipxe);
    w.end();
  }
  for (const raw of o.other) {
    if (raw.code === Opt.pad || raw.code === Opt.end || raw.code === Opt.overload || TYPED_CODES.has(raw.code)) {
      throw new RangeError(`option ${raw.code} cannot be written as a raw option`);
    }
    bytes(w, raw.code, raw.data);
  }
  bytes(w, Opt.relayAgent, o.relayAgent);
}
