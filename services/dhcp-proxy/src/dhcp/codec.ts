// DHCPv4 message codec (RFC 2131 §2-§4.1, RFC 2132, RFC 3396). Pure functions over bytes: no sockets, no clock.
// The decoder never throws: every read is bounds-checked and a malformed datagram is a DhcpDecodeError value.

import { DhcpDecodeError } from './errors.js';
import type { DhcpDecodeErrorCode, Result } from './errors.js';
import { BootpOp, Header, MAGIC_COOKIE, MIN_BOOTP_LENGTH, Opt, Overload } from './options.js';
import { readOption, writeOptions } from './option-values.js';
import type { MutableOptions } from './option-values.js';
import type { DhcpPacket } from './packet.js';
import { cStringAt, ipv4At, OptionWriter } from './wire.js';

type DecodeResult = Result<DhcpPacket, DhcpDecodeError>;

function fail(code: DhcpDecodeErrorCode, message: string, offset: number, option: number | null = null): DecodeResult {
  // A decode error's stack says nothing (code and offset locate the problem) and capturing it is most of the
  // cost of rejecting a hostile datagram, so it is skipped; the limit is restored before anything else runs.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  const error = new DhcpDecodeError(code, message, offset, option);
  Error.stackTraceLimit = limit;
  return { ok: false, error };
}

/**
 * Where each option's bytes are, in wire order. Codes met more than once are chained (`next`), because RFC 3396 §7
 * says their data are concatenated in the order options field, then `file`, then `sname`. Repeats are rare, so
 * a 256-bit `seen` set (small enough for V8 to allocate inline) answers "new code?"; the code → first span index
 * is only built when a repeat shows up, which keeps hostile packets full of repeats linear.
 */
class Spans {
  readonly codes: number[] = [];
  readonly starts: number[] = [];
  readonly lens: number[] = [];
  readonly next: number[] = [];
  private readonly seen = new Uint32Array(8);
  private headOf: Int32Array | null = null;
  private tailOf: Int32Array | null = null;

  add(code: number, start: number, len: number): void {
    const index = this.codes.length;
    this.codes.push(code);
    this.starts.push(start);
    this.lens.push(len);
    this.next.push(-1);
    const word = code >>> 5;
    const bit = 1 << (code & 31);
    if (((this.seen[word] as number) & bit) === 0) {
      this.seen[word] = (this.seen[word] as number) | bit;
      if (this.headOf !== null) this.headOf[code] = index;
      if (this.tailOf !== null) this.tailOf[code] = index;
      return;
    }
    if (this.headOf === null || this.tailOf === null) this.buildIndex(index);
    const tail = (this.tailOf as Int32Array)[code] as number;
    this.next[tail] = index;
    (this.tailOf as Int32Array)[code] = index;
  }

  /** True when span `index` is the first one of its code. */
  isHead(index: number): boolean {
    return this.headOf === null || this.headOf[this.codes[index] as number] === index;
  }

  /** Index of the first span of `code`, or -1. */
  head(code: number): number {
    if (((this.seen[code >>> 5] as number) & (1 << (code & 31))) === 0) return -1;
    if (this.headOf !== null) return this.headOf[code] as number;
    return this.codes.indexOf(code);
  }

  private buildIndex(upTo: number): void {
    const headOf = new Int32Array(256).fill(-1);
    const tailOf = new Int32Array(256).fill(-1);
    for (let i = 0; i < upTo; i++) {
      const code = this.codes[i] as number;
      if ((headOf[code] as number) < 0) headOf[code] = i;
      tailOf[code] = i;
    }
    this.headOf = headOf;
    this.tailOf = tailOf;
  }
}

/** Reads the option triples of one field; `field` names it for errors. Options end at 255 or the field's end. */
function scanField(buf: Buffer, start: number, end: number, field: 'options' | 'file' | 'sname', spans: Spans) {
  let i = start;
  while (i < end) {
    const code = buf[i] as number;
    if (code === Opt.pad) {
      i++;
      continue;
    }
    if (code === Opt.end) return null;
    if (i + 1 >= end) return fail('option-overrun', `option ${code} has no length byte in ${field}`, i, code);
    const len = buf[i + 1] as number;
    if (i + 2 + len > end) return fail('option-overrun', `option ${code} runs past the end of ${field}`, i, code);
    if (code === Opt.overload && field !== 'options') {
      return fail('overload-loop', `option 52 inside the overloaded ${field} field (RFC 2131 §4.1)`, i, code);
    }
    spans.add(code, i + 2, len);
    i += 2 + len;
  }
  return null;
}

/** The concatenated data of option `head`'s spans (RFC 3396 §6); only called when there are several. */
function concatenated(buf: Buffer, spans: Spans, head: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = head; i >= 0; i = spans.next[i] as number) {
    const s = spans.starts[i] as number;
    parts.push(buf.subarray(s, s + (spans.lens[i] as number)));
  }
  return Buffer.concat(parts);
}

export function decodeDhcp(input: Uint8Array): DecodeResult {
  const buf = Buffer.isBuffer(input) ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (buf.length < Header.options) {
    return fail('truncated-header', `${buf.length} bytes; a DHCP message has at least ${Header.options}`, buf.length);
  }
  const op = buf[Header.op] as number;
  if (op !== BootpOp.request && op !== BootpOp.reply) return fail('bad-op', `op ${op}`, Header.op);
  const hlen = buf[Header.hlen] as number;
  if (hlen > Header.chaddrLength) return fail('bad-hlen', `hlen ${hlen} > 16`, Header.hlen);
  if (buf.readUInt32BE(Header.cookie) !== MAGIC_COOKIE) return fail('bad-cookie', 'no magic cookie', Header.cookie);

  const spans = new Spans();
  const scanned = scanField(buf, Header.options, buf.length, 'options', spans);
  if (scanned !== null) return scanned;

  let overload = 0;
  const overloadHead = spans.head(Opt.overload);
  if (overloadHead >= 0) {
    const single = (spans.next[overloadHead] as number) < 0 && spans.lens[overloadHead] === 1;
    overload = single ? (buf[spans.starts[overloadHead] as number] as number) : -1;
    if (overload < Overload.file || overload > Overload.both) {
      return fail(
        'bad-overload',
        'option 52 must be one byte of value 1, 2 or 3',
        (spans.starts[overloadHead] as number) - 2,
        Opt.overload,
      );
    }
    const fileEnd = Header.file + Header.fileLength;
    const snameEnd = Header.sname + Header.snameLength;
    const inFile = (overload & Overload.file) !== 0 ? scanField(buf, Header.file, fileEnd, 'file', spans) : null;
    if (inFile !== null) return inFile;
    const inSname = (overload & Overload.sname) !== 0 ? scanField(buf, Header.sname, snameEnd, 'sname', spans) : null;
    if (inSname !== null) return inSname;
  }

  const options: MutableOptions = { other: [] };
  for (let i = 0; i < spans.codes.length; i++) {
    const code = spans.codes[i] as number;
    if (code === Opt.overload || !spans.isHead(i)) continue; // each code once, from its first span
    const start = spans.starts[i] as number;
    let problem;
    if ((spans.next[i] as number) < 0) {
      problem = readOption(options, code, buf, start, spans.lens[i] as number);
    } else {
      const data = concatenated(buf, spans, i);
      problem = readOption(options, code, data, 0, data.length);
    }
    if (problem !== null) return fail(problem, `option ${code} has an invalid length`, start - 2, code);
  }

  return {
    ok: true,
    value: {
      op,
      htype: buf[Header.htype] as number,
      hlen,
      hops: buf[Header.hops] as number,
      xid: buf.readUInt32BE(Header.xid),
      secs: buf.readUInt16BE(Header.secs),
      flags: buf.readUInt16BE(Header.flags),
      ciaddr: ipv4At(buf, Header.ciaddr),
      yiaddr: ipv4At(buf, Header.yiaddr),
      siaddr: ipv4At(buf, Header.siaddr),
      giaddr: ipv4At(buf, Header.giaddr),
      chaddr: buf.subarray(Header.chaddr, Header.chaddr + Header.chaddrLength),
      sname: (overload & Overload.sname) !== 0 ? '' : cStringAt(buf, Header.sname, Header.sname + Header.snameLength),
      file: (overload & Overload.file) !== 0 ? '' : cStringAt(buf, Header.file, Header.file + Header.fileLength),
      options,
    },
  };
}

/** Initial buffer: room for a typical reply without growing (576 = the RFC 2131 §2 minimum a client accepts). */
const INITIAL_SIZE = 576;

/**
 * Encodes a message: header, cookie, options (long ones split per RFC 3396), end, zero padding to 300 bytes.
 * Never uses option overload. Throws RangeError for values that cannot be encoded (bad IPv4 text, sname over 64 or
 * file over 128 bytes, chaddr over 16 bytes): those are programming errors of the caller, not hostile input.
 */
export function encodeDhcp(packet: DhcpPacket): Buffer {
  if (packet.sname.length > Header.snameLength) throw new RangeError('sname longer than 64 bytes');
  if (packet.file.length > Header.fileLength) throw new RangeError('file longer than 128 bytes');
  if (packet.chaddr.length > Header.chaddrLength) throw new RangeError('chaddr longer than 16 bytes');
  const w = new OptionWriter(INITIAL_SIZE, 0);
  const { buf } = w;
  buf[Header.op] = packet.op;
  buf[Header.htype] = packet.htype;
  buf[Header.hlen] = packet.hlen;
  buf[Header.hops] = packet.hops;
  buf.writeUInt32BE(packet.xid >>> 0, Header.xid);
  buf.writeUInt16BE(packet.secs & 0xffff, Header.secs);
  buf.writeUInt16BE(packet.flags & 0xffff, Header.flags);
  w.pos = Header.ciaddr; // ciaddr, yiaddr, siaddr, giaddr are consecutive
  w.ipv4(packet.ciaddr);
  w.ipv4(packet.yiaddr);
  w.ipv4(packet.siaddr);
  w.ipv4(packet.giaddr);
  buf.set(packet.chaddr, Header.chaddr);
  buf.write(packet.sname, Header.sname, Header.snameLength, 'latin1');
  buf.write(packet.file, Header.file, Header.fileLength, 'latin1');
  buf.writeUInt32BE(MAGIC_COOKIE, Header.cookie);
  w.pos = Header.options;
  writeOptions(w, packet.options);
  w.u8(Opt.end);
  return w.buf.subarray(0, Math.max(w.pos, MIN_BOOTP_LENGTH));
}
