// What to do with a datagram that reached the listening port (69): pure, so every refusal and every silent
// drop has a named, counted reason (STYLE.md 5). The server turns the answer into I/O.
import type { RequestOption } from './codec.js';
import { decodePacket, ERROR_CODE, OPCODE } from './codec.js';
import type { BootFile, BootFiles } from './files.js';
import { normaliseRequestPath } from './files.js';

/** Datagrams on port 69 that get no answer at all. */
export type DropReason =
  | 'malformed' // not recognisably TFTP: answering garbage only helps reflection
  | 'not-a-request' // DATA/ACK/ERROR/OACK belong on a transfer's own port (RFC 1350 §4)
  | 'duplicate-request' // a retransmitted RRQ for a transfer already under way (RFC 1350 §4 TID rules)
  | 'bad-source-port'; // source port 0 cannot be answered (and no real client uses it)

/** Requests answered with an ERROR packet. */
export type RejectReason =
  | 'write-refused'
  | 'bad-request'
  | 'bad-option'
  | 'unsupported-mode'
  | 'access-violation'
  | 'not-found'
  | 'busy'
  | 'file-error';

export type Admission =
  | { readonly action: 'drop'; readonly reason: DropReason }
  | {
      readonly action: 'reject';
      readonly reason: RejectReason;
      readonly code: number;
      readonly message: string;
      /** The requested name as sent (truncated), for logs and callbacks; '' when the request did not decode. */
      readonly filename: string;
    }
  | {
      readonly action: 'accept';
      readonly file: BootFile;
      readonly mode: 'octet' | 'netascii';
      readonly options: readonly RequestOption[];
    };

export type AdmitContext = {
  readonly files: BootFiles;
  readonly activeTransfers: number;
  readonly maxTransfers: number;
  /** True when a transfer for this peer address and port is already running. */
  readonly duplicate: boolean;
  readonly sourcePort: number;
};

const MAX_REPORTED_NAME = 256;

function reject(reason: RejectReason, code: number, message: string, filename: string): Admission {
  return { action: 'reject', reason, code, message, filename: filename.slice(0, MAX_REPORTED_NAME) };
}

export function admitRequest(datagram: Buffer, ctx: AdmitContext): Admission {
  if (ctx.sourcePort === 0) return { action: 'drop', reason: 'bad-source-port' };
  const decoded = decodePacket(datagram);
  const opcode = datagram.length >= 2 ? datagram.readUInt16BE(0) : -1;
  // RFC 1350 §5 error code 2: this server is read-only. Refused before looking at the rest of the packet.
  if (opcode === OPCODE.wrq) {
    const name = decoded.ok && decoded.value.kind === 'wrq' ? decoded.value.filename : '';
    return reject('write-refused', ERROR_CODE.accessViolation, 'read-only server: write requests are refused', name);
  }
  if (!decoded.ok) {
    if (opcode !== OPCODE.rrq) return { action: 'drop', reason: 'malformed' };
    if (decoded.error.code === 'bad-option-value') {
      // RFC 2347: error 8 ends a request whose options cannot be negotiated.
      return reject(
        'bad-option',
        ERROR_CODE.optionNegotiation,
        `option negotiation failed: ${decoded.error.message}`,
        '',
      );
    }
    return reject('bad-request', ERROR_CODE.illegalOperation, `malformed request: ${decoded.error.message}`, '');
  }
  const packet = decoded.value;
  if (packet.kind !== 'rrq') return { action: 'drop', reason: 'not-a-request' };
  if (ctx.duplicate) return { action: 'drop', reason: 'duplicate-request' };
  if (packet.mode === 'mail') {
    // RFC 1350 §1: mail mode is for write requests only, and obsolete.
    return reject('unsupported-mode', ERROR_CODE.illegalOperation, 'mail mode is not supported', packet.filename);
  }
  const path = normaliseRequestPath(packet.filename);
  if (!path.ok) {
    return reject(
      'access-violation',
      ERROR_CODE.accessViolation,
      'access violation: path not allowed',
      packet.filename,
    );
  }
  let file: BootFile | undefined;
  try {
    file = ctx.files.get(path.value);
  } catch {
    return reject('file-error', ERROR_CODE.notDefined, 'file could not be read', packet.filename);
  }
  if (file === undefined) return reject('not-found', ERROR_CODE.fileNotFound, 'file not found', packet.filename);
  if (ctx.activeTransfers >= ctx.maxTransfers) {
    return reject(
      'busy',
      ERROR_CODE.notDefined,
      `server busy: ${ctx.maxTransfers} transfers in progress, retry later`,
      packet.filename,
    );
  }
  return { action: 'accept', file, mode: packet.mode, options: packet.options };
}
