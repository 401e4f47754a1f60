// Small byte helpers shared by the DHCP codec modules: IPv4 text <-> bytes, NUL-terminated text, and a growable
// writer that splits long options per RFC 3396. Pure; no I/O.

import { ZERO_IP } from './packet.js';

/** Dotted-quad text of the four bytes at `off`. The all-zero address is a shared constant (no allocation). */
export function ipv4At(buf: Uint8Array, off: number): string {
  const a = buf[off] as number;
  const b = buf[off + 1] as number;
  const c = buf[off + 2] as number;
  const d = buf[off + 3] as number;
  if ((a | b | c | d) === 0) return ZERO_IP;
  return `${a}.${b}.${c}.${d}`;
}

/** The four bytes of a dotted-quad IPv4 address as a 32-bit unsigned number, or -1 when it is not one. */
export function parseIpv4(text: string): number {
  let value = 0;
  let part = -1;
  let parts = 0;
  for (let i = 0; i <= text.length; i++) {
    const ch = i < text.length ? text.charCodeAt(i) : 46; // a virtual '.' closes the last part
    if (ch === 46) {
      if (part < 0 || ++parts > 4) return -1;
      value = value * 256 + part;
      part = -1;
    } else if (ch >= 48 && ch <= 57) {
      part = part < 0 ? ch - 48 : part * 10 + (ch - 48);
      if (part > 255) return -1;
    } else {
      return -1;
    }
  }
  return parts === 4 ? value : -1;
}

export function isIpv4(text: string): boolean {
  return parseIpv4(text) >= 0;
}

/** Latin1 text of `buf[start, end)` up to the first NUL (BOOTP `sname`/`file`, RFC 951 §3). */
export function cStringAt(buf: Buffer, start: number, end: number): string {
  if (buf[start] === 0) return '';
  let stop = buf.indexOf(0, start);
  if (stop < 0 || stop > end) stop = end;
  return buf.toString('latin1', start, stop);
}

/**
 * Appends DHCP options to a growing buffer. `begin(code)` … `end()` brackets one option; when its data passes
 * 255 bytes `end()` splits it into consecutive instances of the same code (RFC 3396 §5, "long options").
 */
export class OptionWriter {
  buf: Buffer;
  pos: number;
  private code = 0;
  private dataStart = 0;

  constructor(initialSize: number, startAt: number) {
    this.buf = Buffer.alloc(initialSize);
    this.pos = startAt;
  }

  ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const bigger = Buffer.alloc(Math.max(this.buf.length * 2, this.pos + extra + 64));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }

  begin(code: number): void {
    this.ensure(2);
    this.buf[this.pos] = code;
    this.code = code;
    this.pos += 2;
    this.dataStart = this.pos;
  }

  end(): void {
    const len = this.pos - this.dataStart;
    if (len <= 255) {
      this.buf[this.dataStart - 1] = len;
      return;
    }
    // Split in place: move every 255-byte chunk after the first right by 2 bytes per chunk before it, last first,
    // so no chunk overwrites one not yet moved, then write each chunk's code/length header.
    const chunks = Math.ceil(len / 255);
    this.ensure((chunks - 1) * 2);
    this.buf[this.dataStart - 1] = 255;
    for (let k = chunks - 1; k >= 1; k--) {
      const src = this.dataStart + k * 255;
      const chunkLen = Math.min(255, len - k * 255);
      const dst = src + 2 * k;
      this.buf.copyWithin(dst, src, src + chunkLen);
      this.buf[dst - 2] = this.code;
      this.buf[dst - 1] = chunkLen;
    }
    this.pos += (chunks - 1) * 2;
  }

  u8(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value & 0xff;
  }

  u16(value: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(value & 0xffff, this.pos);
    this.pos += 2;
  }

  ipv4(text: string): void {
    const value = parseIpv4(text);
    if (value < 0) throw new RangeError(`not an IPv4 address: ${JSON.stringify(text)}`);
    this.ensure(4);
    this.buf.writeUInt32BE(value, this.pos);
    this.pos += 4;
  }

  bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  latin1(text: string): void {
    this.ensure(text.length);
    this.pos += this.buf.write(text, this.pos, 'latin1');
  }

  /** Writes a length-prefixed sub-field (one byte of length), throwing when it cannot fit one byte. */
  sub(code: number, write: () => void): void {
    this.u8(code);
    const lenAt = this.pos;
    this.u8(0);
    write();
    const len = this.pos - lenAt - 1;
    if (len > 255) throw new RangeError(`sub-option ${code} is ${len} bytes; at most 255 fit`);
    this.buf[lenAt] = len;
  }
}
