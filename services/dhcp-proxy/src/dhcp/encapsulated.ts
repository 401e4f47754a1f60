// Encapsulated sub-options: option 43 as PXE vendor options (PXE 2.1 §2.4.1) and option 175 as iPXE's options.
// Both use the RFC 2132 §8.4 encapsulation: code/length/data triples, 0 = pad, 255 = end.

import { Opt, PxeSub } from './options.js';
import type {
  IpxeOptions,
  PxeBootServer,
  PxeMenuItem,
  PxeVendorOptions,
  RawOption,
  RawVendorOptions,
} from './packet.js';
import { ipv4At } from './wire.js';
import type { OptionWriter } from './wire.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Visits each sub-option of `buf[start, end)`; false when the triples do not tile the data exactly. */
function walkSubOptions(
  buf: Buffer,
  start: number,
  end: number,
  visit: (code: number, off: number, len: number) => boolean,
): boolean {
  let i = start;
  while (i < end) {
    const code = buf[i] as number;
    if (code === Opt.pad) {
      i++;
      continue;
    }
    if (code === Opt.end) return true;
    if (i + 1 >= end) return false;
    const len = buf[i + 1] as number;
    if (i + 2 + len > end) return false;
    if (!visit(code, i + 2, len)) return false;
    i += 2 + len;
  }
  return true;
}

function bootServersAt(buf: Buffer, off: number, len: number): PxeBootServer[] | null {
  const servers: PxeBootServer[] = [];
  const end = off + len;
  let i = off;
  while (i < end) {
    if (i + 3 > end) return null;
    const type = buf.readUInt16BE(i);
    const count = buf[i + 2] as number;
    i += 3;
    if (i + count * 4 > end) return null;
    const addresses: string[] = [];
    for (let k = 0; k < count; k++, i += 4) addresses.push(ipv4At(buf, i));
    servers.push({ type, addresses });
  }
  return servers;
}

function menuAt(buf: Buffer, off: number, len: number): PxeMenuItem[] | null {
  const items: PxeMenuItem[] = [];
  const end = off + len;
  let i = off;
  while (i < end) {
    if (i + 3 > end) return null;
    const type = buf.readUInt16BE(i);
    const textLen = buf[i + 2] as number;
    i += 3;
    if (i + textLen > end) return null;
    items.push({ type, description: buf.toString('latin1', i, i + textLen) });
    i += textLen;
  }
  return items;
}

/**
 * Option 43 as PXE sub-options. Any structural problem (bad triple, a known sub-option with the wrong shape or
 * given twice) means the bytes are some other vendor's: they are returned unchanged as `raw`.
 */
export function decodeVendorOptions(buf: Buffer, off: number, len: number): PxeVendorOptions | RawVendorOptions {
  const pxe: Mutable<PxeVendorOptions> = { kind: 'pxe' };
  let other: RawOption[] | undefined;
  const ok = walkSubOptions(buf, off, off + len, (code, at, n) => {
    switch (code) {
      case PxeSub.discoveryControl:
        if (n !== 1 || pxe.discoveryControl !== undefined) return false;
        pxe.discoveryControl = buf[at] as number;
        return true;
      case PxeSub.bootServers: {
        if (pxe.bootServers !== undefined) return false;
        const servers = bootServersAt(buf, at, n);
        if (servers === null) return false;
        pxe.bootServers = servers;
        return true;
      }
      case PxeSub.bootMenu: {
        if (pxe.bootMenu !== undefined) return false;
        const items = menuAt(buf, at, n);
        if (items === null) return false;
        pxe.bootMenu = items;
        return true;
      }
      case PxeSub.menuPrompt:
        if (n < 1 || pxe.menuPrompt !== undefined) return false;
        pxe.menuPrompt = { timeout: buf[at] as number, prompt: buf.toString('latin1', at + 1, at + n) };
        return true;
      case PxeSub.bootItem:
        if (n !== 4 || pxe.bootItem !== undefined) return false;
        pxe.bootItem = { type: buf.readUInt16BE(at), layer: buf.readUInt16BE(at + 2) };
        return true;
      default:
        (other ??= []).push({ code, data: buf.subarray(at, at + n) });
        return true;
    }
  });
  if (!ok) return { kind: 'raw', data: buf.subarray(off, off + len) };
  if (other !== undefined) pxe.other = other;
  return pxe;
}

export function encodeVendorOptions(w: OptionWriter, vendor: PxeVendorOptions | RawVendorOptions): void {
  if (vendor.kind === 'raw') {
    w.bytes(vendor.data);
    return;
  }
  if (vendor.discoveryControl !== undefined) {
    const value = vendor.discoveryControl;
    w.sub(PxeSub.discoveryControl, () => w.u8(value));
  }
  if (vendor.bootServers !== undefined) {
    const servers = vendor.bootServers;
    w.sub(PxeSub.bootServers, () => {
      for (const server of servers) {
        if (server.addresses.length > 63) throw new RangeError('too many PXE boot server addresses');
        w.u16(server.type);
        w.u8(server.addresses.length);
        for (const address of server.addresses) w.ipv4(address);
      }
    });
  }
  if (vendor.bootMenu !== undefined) {
    const items = vendor.bootMenu;
    w.sub(PxeSub.bootMenu, () => {
      for (const item of items) {
        if (item.description.length > 255) throw new RangeError('PXE menu description longer than 255 bytes');
        w.u16(item.type);
        w.u8(item.description.length);
        w.latin1(item.description);
      }
    });
  }
  if (vendor.menuPrompt !== undefined) {
    const prompt = vendor.menuPrompt;
    w.sub(PxeSub.menuPrompt, () => {
      w.u8(prompt.timeout);
      w.latin1(prompt.prompt);
    });
  }
  if (vendor.bootItem !== undefined) {
    const item = vendor.bootItem;
    w.sub(PxeSub.bootItem, () => {
      w.u16(item.type);
      w.u16(item.layer);
    });
  }
  for (const sub of vendor.other ?? []) {
    if (sub.code === Opt.pad || sub.code === Opt.end) throw new RangeError(`PXE sub-option code ${sub.code}`);
    w.sub(sub.code, () => w.bytes(sub.data));
  }
  w.u8(Opt.end); // PXE 2.1 §2.4.1: the vendor options end with sub-option 255
}

/** Option 175: iPXE's encapsulated options (feature flags in requests), or raw bytes when not well formed. */
export function decodeIpxeOptions(buf: Buffer, off: number, len: number): IpxeOptions {
  const options: RawOption[] = [];
  const ok = walkSubOptions(buf, off, off + len, (code, at, n) => {
    options.push({ code, data: buf.subarray(at, at + n) });
    return true;
  });
  return ok ? { kind: 'encapsulated', options } : { kind: 'raw', data: buf.subarray(off, off + len) };
}

export function encodeIpxeOptions(w: OptionWriter, ipxe: IpxeOptions): void {
  if (ipxe.kind === 'raw') {
    w.bytes(ipxe.data);
    return;
  }
  for (const sub of ipxe.options) {
    if (sub.code === Opt.pad || sub.code === Opt.end) throw new RangeError(`iPXE sub-option code ${sub.code}`);
    w.sub(sub.code, () => w.bytes(sub.data));
  }
}
