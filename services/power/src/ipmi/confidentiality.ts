import { createCipheriv, createDecipheriv } from 'node:crypto';
import { type Decoded, fail, ok } from './result.js';

/**
 * AES-CBC-128 payload confidentiality (IPMI v2.0 section 13.29, figure 13-20):
 *   payload field = IV (16) | AES-CBC(K2[0..16], IV, data | pad 0x01,0x02,…,N | N)
 * The pad makes data + pad + 1 a multiple of the 16-byte block; it is not PKCS#7 (node's padding is off).
 */
export const AES_BLOCK = 16;

export function confidentialityPad(dataLength: number): Buffer {
  const padLength = (AES_BLOCK - ((dataLength + 1) % AES_BLOCK)) % AES_BLOCK;
  const pad = Buffer.alloc(padLength + 1);
  for (let i = 0; i < padLength; i++) pad[i] = i + 1;
  pad[padLength] = padLength;
  return pad;
}

export function encryptPayload(aesKey: Buffer, iv: Buffer, data: Buffer): Buffer {
  const cipher = createCipheriv('aes-128-cbc', aesKey, iv);
  cipher.setAutoPadding(false);
  const body = cipher.update(Buffer.concat([data, confidentialityPad(data.length)]));
  return Buffer.concat([iv, body, cipher.final()]);
}

export function decryptPayload(aesKey: Buffer, field: Buffer): Decoded<Buffer> {
  if (field.length < 2 * AES_BLOCK || field.length % AES_BLOCK !== 0) {
    return fail(`aes-cbc-128: payload of ${field.length} bytes is not IV plus whole blocks`);
  }
  const decipher = createDecipheriv('aes-128-cbc', aesKey, field.subarray(0, AES_BLOCK));
  decipher.setAutoPadding(false);
  const clear = Buffer.concat([decipher.update(field.subarray(AES_BLOCK)), decipher.final()]);
  const padLength = clear[clear.length - 1] ?? 0;
  if (padLength >= AES_BLOCK) return fail(`aes-cbc-128: pad length ${padLength} is not below 16`);
  const dataLength = clear.length - 1 - padLength;
  // The spec asks for pad bytes 1, 2, 3…; a mismatch here means a wrong key or a corrupted packet.
  for (let i = 0; i < padLength; i++) {
    if (clear[dataLength + i] !== i + 1) return fail('aes-cbc-128: confidentiality pad bytes are not 1, 2, 3…');
  }
  return ok(clear.subarray(0, dataLength));
}
