import { type Decoded, fail, ok } from './result.js';

/**
 * IPMI LAN message framing (IPMI v2.0 section 13.8, figure 13-4): the request/response carried inside an RMCP
 * session packet, with the two 2's-complement checksums of IPMB framing.
 *
 *   request:  rsAddr | netFn<<2 | rsLUN | chk1 | rqAddr | rqSeq<<2 | rqLUN | cmd | data… | chk2
 *   response: rqAddr | netFn<<2 | rqLUN | chk1 | rsAddr | rqSeq<<2 | rsLUN | cmd | cc | data… | chk2
 */
export const BMC_SLAVE_ADDRESS = 0x20;
/** Software ID 0x40 in the 7-bit form (bit 0 set marks a software ID, section 5.5): "remote console software". */
export const REMOTE_CONSOLE_SWID = 0x81;
export const RQ_SEQ_MASK = 0x3f;

export interface IpmiRequest {
  readonly netFn: number;
  readonly cmd: number;
  readonly data: Uint8Array;
}

export interface IpmiResponse {
  /** The response NetFn (request NetFn + 1). */
  readonly netFn: number;
  readonly cmd: number;
  readonly rqSeq: number;
  readonly completionCode: number;
  readonly data: Buffer;
}

/** 2's-complement checksum: the bytes plus the checksum sum to 0 modulo 256 (section 13.8). */
export function ipmiChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum = (sum + (bytes[i] ?? 0)) & 0xff;
  return (0x100 - sum) & 0xff;
}

export function encodeLanRequest(request: IpmiRequest, rqSeq: number): Buffer {
  const out = Buffer.alloc(7 + request.data.length);
  out[0] = BMC_SLAVE_ADDRESS;
  out[1] = (request.netFn << 2) & 0xfc; // rsLUN 0 (BMC)
  out[2] = ipmiChecksum(out, 0, 2);
  out[3] = REMOTE_CONSOLE_SWID;
  out[4] = (rqSeq & RQ_SEQ_MASK) << 2; // rqLUN 0
  out[5] = request.cmd;
  out.set(request.data, 6);
  out[out.length - 1] = ipmiChecksum(out, 3, out.length - 1);
  return out;
}

export function decodeLanResponse(message: Buffer): Decoded<IpmiResponse> {
  // rqAddr, netFn/LUN, chk1, rsAddr, rqSeq/LUN, cmd, completion code, chk2: 8 bytes at least.
  if (message.length < 8) return fail(`lan message: ${message.length} bytes, a response has at least 8`);
  if (ipmiChecksum(message, 0, 3) !== 0) return fail('lan message: header checksum mismatch');
  if (ipmiChecksum(message, 3, message.length) !== 0) return fail('lan message: data checksum mismatch');
  const netFn = (message[1] ?? 0) >> 2;
  if ((netFn & 1) === 0) return fail(`lan message: NetFn 0x${netFn.toString(16)} is a request, not a response`);
  return ok({
    netFn,
    cmd: message[5] ?? 0,
    rqSeq: (message[4] ?? 0) >> 2,
    completionCode: message[6] ?? 0,
    data: message.subarray(7, message.length - 1),
  });
}
