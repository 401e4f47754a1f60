// netascii transfer mode (RFC 1350 §1 and appendix; line endings per the Telnet NVT of RFC 764):
// a local LF goes on the wire as CR LF and a bare CR as CR NUL. Boot loaders ask for octet; this exists so a
// netascii request gets a correct answer rather than silently different bytes.

const CR = 0x0d;
const LF = 0x0a;

/** The netascii form of `data` (a new Buffer; the caller caches it, it is only built on request). */
export function toNetascii(data: Buffer): Buffer {
  let extra = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (b === LF || b === CR) extra++;
  }
  if (extra === 0) return data;
  const out = Buffer.allocUnsafe(data.length + extra);
  let o = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i] as number;
    if (b === LF) {
      out[o++] = CR;
      out[o++] = LF;
    } else if (b === CR) {
      out[o++] = CR;
      out[o++] = 0;
    } else {
      out[o++] = b;
    }
  }
  return out;
}
