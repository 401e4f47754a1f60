// TFTP wire format: RFC 1350 (packets), RFC 2347 (option extension, OACK), RFC 2348 (blksize),
// RFC 2349 (timeout, tsize), RFC 7440 (windowsize). Pure functions over Buffer: no sockets, clocks or logs.
import type { DecodeError, DecodeErrorCode, Result } from './errors.js';

/** RFC 1350 §5 opcodes, plus OACK from RFC 2347. */
export const OPCODE = { rrq: 1, wrq: 2, data: 3, ack: 4, error: 5, oack: 6 } as const;

/** RFC 1350 appendix "Error Codes", plus 8 from RFC 2347. */
export const ERROR_CODE = {
  notDefined: 0,
  fileNotFound: 1,
  accessViolation: 2,
  diskFull: 3,
  illegalOperation: 4,
  unknownTransferId: 5,
  fileExists: 6,
  noSuchUser: 7,
  optionNegotiation: 8,
} as const;

export type TransferMode = 'netascii' | 'octet' | 'mail';

/** Options this server understands, with their RFC ranges (inclusive). */
export const OPTION_RANGES = {
  blksize: [8, 65464], // RFC 2348
  tsize: [0, Number.MAX_SAFE_INTEGER], // RFC 2349: 0 in a read request, the size in a write request
  timeout: [1, 255], // RFC 2349, seconds
  windowsize: [1, 65535], // RFC 7440
} as const;

export type KnownOption = keyof typeof OPTION_RANGES;

export type RequestOption = { readonly name: KnownOption; readonly value: number };

export type RequestPacket = {
  readonly kind: 'rrq' | 'wrq';
  readonly filename: string;
  readonly mode: TransferMode;
  /** Known options in request order (RFC 2347: names are case-insensitive). */
  readonly options: readonly RequestOption[];
  /** Unknown option names, lower-case; RFC 2347 says the server ignores them. */
  readonly ignoredOptions: readonly string[];
};

export type TftpPacket =
  | RequestPacket
  | { readonly kind: 'data'; readonly block: number; readonly data: Buffer }
  | { readonly kind: 'ack'; readonly block: number }
  | { readonly kind: 'error'; readonly code: number; readonly message: string }
  | { readonly kind: 'oack'; readonly options: ReadonlyMap<string, string> };

export type OptionPair = readonly [name: string, value: string];

const MODES: ReadonlySet<string> = new Set(['netascii', 'octet', 'mail']);
const DECIMAL = /^[0-9]{1,16}$/;

function fail(code: DecodeErrorCode, message: string, option?: string): { ok: false; error: DecodeError } {
  return { ok: false, error: option === undefined ? { code, message } : { code, message, option } };
}

/** Reads the NUL-terminated string at `start` (latin1, so every byte maps to one char); null when no NUL. */
function readString(buf: Buffer, start: number): { text: string; next: number } | null {
  const end = buf.indexOf(0, start);
  if (end < 0) return null;
  return { text: buf.toString('latin1', start, end), next: end + 1 };
}

function isKnownOption(name: string): name is KnownOption {
  return Object.hasOwn(OPTION_RANGES, name);
}

/** Decodes one datagram. Never throws: malformed input is a typed error value. */
export function decodePacket(buf: Buffer): Result<TftpPacket, DecodeError> {
  if (buf.length < 2) return fail('too-short', 'datagram shorter than an opcode');
  const opcode = buf.readUInt16BE(0);
  switch (opcode) {
    case OPCODE.rrq:
    case OPCODE.wrq:
      return decodeRequest(buf, opcode === OPCODE.rrq ? 'rrq' : 'wrq');
    case OPCODE.data:
      if (buf.length < 4) return fail('too-short', 'DATA without a block number');
      return { ok: true, value: { kind: 'data', block: buf.readUInt16BE(2), data: buf.subarray(4) } };
    case OPCODE.ack:
      // Bytes after the block number are ignored: some PXE stacks pad short frames.
      if (buf.length < 4) return fail('too-short', 'ACK without a block number');
      return { ok: true, value: { kind: 'ack', block: buf.readUInt16BE(2) } };
    case OPCODE.error: {
      if (buf.length < 4) return fail('too-short', 'ERROR without an error code');
      const message = readString(buf, 4);
      if (message === null) return fail('missing-nul', 'ERROR message is not NUL-terminated');
      return { ok: true, value: { kind: 'error', code: buf.readUInt16BE(2), message: message.text } };
    }
    case OPCODE.oack:
      return decodeOack(buf);
    default:
      return fail('unknown-opcode', `unknown opcode ${opcode}`);
  }
}

/** RRQ/WRQ: | opcode | filename | 0 | mode | 0 | opt1 | 0 | value1 | 0 | ... (RFC 1350 §5, RFC 2347). */
function decodeRequest(buf: Buffer, kind: 'rrq' | 'wrq'): Result<TftpPacket, DecodeError> {
  const filename = readString(buf, 2);
  if (filename === null) return fail('missing-nul', 'filename is not NUL-terminated');
  if (filename.text.length === 0) return fail('empty-filename', 'empty filename');
  const modeField = readString(buf, filename.next);
  if (modeField === null) return fail('missing-nul', 'mode is not NUL-terminated');
  const mode = modeField.text.toLowerCase();
  if (!MODES.has(mode)) return fail('bad-mode', 'mode is not netascii, octet or mail');

  const options: RequestOption[] = [];
  const ignoredOptions: string[] = [];
  const seen = new Set<string>();
  let at = modeField.next;
  while (at < buf.length) {
    // Trailing NUL padding after the last field is tolerated (seen from some PXE ROMs).
    if (isAllZero(buf, at)) break;
    const nameField = readString(buf, at);
    if (nameField === null) return fail('missing-nul', 'option name is not NUL-terminated');
    const name = nameField.text.toLowerCase();
    if (name.length === 0) return fail('empty-option-name', 'empty option name');
    const valueField = readString(buf, nameField.next);
    if (valueField === null) return fail('option-missing-value', `option ${name} has no value`, name);
    if (seen.has(name)) return fail('duplicate-option', `option ${name} given twice`, name);
    seen.add(name);
    at = valueField.next;
    if (!isKnownOption(name)) {
      ignoredOptions.push(name);
      continue;
    }
    const [min, max] = OPTION_RANGES[name];
    const value = DECIMAL.test(valueField.text) ? Number(valueField.text) : Number.NaN;
    if (!(value >= min && value <= max)) {
      return fail('bad-option-value', `option ${name} must be a decimal number in ${min}..${max}`, name);
    }
    options.push({ name, value });
  }
  return { ok: true, value: { kind, filename: filename.text, mode: mode as TransferMode, options, ignoredOptions } };
}

/** OACK: | 6 | opt1 | 0 | value1 | 0 | ... (RFC 2347). Values are kept as text: the client judges them. */
function decodeOack(buf: Buffer): Result<TftpPacket, DecodeError> {
  const options = new Map<string, string>();
  let at = 2;
  while (at < buf.length) {
    const nameField = readString(buf, at);
    if (nameField === null) return fail('missing-nul', 'option name is not NUL-terminated');
    const name = nameField.text.toLowerCase();
    if (name.length === 0) return fail('empty-option-name', 'empty option name');
    const valueField = readString(buf, nameField.next);
    if (valueField === null) return fail('option-missing-value', `option ${name} has no value`, name);
    if (options.has(name)) return fail('duplicate-option', `option ${name} given twice`, name);
    options.set(name, valueField.text);
    at = valueField.next;
  }
  return { ok: true, value: { kind: 'oack', options } };
}

function isAllZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}

function stringsLength(parts: readonly string[]): number {
  let n = 0;
  for (const p of parts) n += Buffer.byteLength(p, 'latin1') + 1;
  return n;
}

function writeStrings(out: Buffer, at: number, parts: readonly string[]): void {
  for (const p of parts) {
    at += out.write(p, at, 'latin1');
    out[at++] = 0;
  }
}

function withStrings(opcode: number, parts: readonly string[]): Buffer {
  const out = Buffer.allocUnsafe(2 + stringsLength(parts));
  out.writeUInt16BE(opcode, 0);
  writeStrings(out, 2, parts);
  return out;
}

/** RRQ/WRQ with optional RFC 2347 options (values as text, so tests can send anything). */
export function encodeRequest(
  kind: 'rrq' | 'wrq',
  filename: string,
  mode: string,
  options: readonly OptionPair[] = [],
): Buffer {
  return withStrings(kind === 'rrq' ? OPCODE.rrq : OPCODE.wrq, [filename, mode, ...options.flat()]);
}

/** A whole DATA packet (copies `data`; the server's hot path uses writeDataHeader instead). */
export function encodeData(block: number, data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(4 + data.length);
  writeDataHeader(out, block);
  out.set(data, 4);
  return out;
}

/** Writes the 4-byte DATA header (RFC 1350 §5: opcode 3, 16-bit block number) at the start of `target`. */
export function writeDataHeader(target: Buffer, block: number): void {
  target.writeUInt16BE(OPCODE.data, 0);
  target.writeUInt16BE(block & 0xffff, 2);
}

export function encodeAck(block: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt16BE(OPCODE.ack, 0);
  out.writeUInt16BE(block & 0xffff, 2);
  return out;
}

export function encodeError(code: number, message: string): Buffer {
  const out = Buffer.allocUnsafe(4 + stringsLength([message]));
  out.writeUInt16BE(OPCODE.error, 0);
  out.writeUInt16BE(code & 0xffff, 2);
  writeStrings(out, 4, [message]);
  return out;
}

export function encodeOack(options: readonly OptionPair[]): Buffer {
  return withStrings(OPCODE.oack, options.flat());
}
