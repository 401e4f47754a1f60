import { describe, expect, it } from 'vitest';
import type { AdmitContext } from '../src/tftp/admit.js';
import { admitRequest } from '../src/tftp/admit.js';
import { encodeAck, encodeRequest } from '../src/tftp/codec.js';
import type { BootFiles } from '../src/tftp/files.js';
import { createBootFiles } from '../src/tftp/files.js';
import { negotiate } from '../src/tftp/negotiate.js';
import { toNetascii } from '../src/tftp/netascii.js';

// Fixed, Empty and Broken fakes of the file port (STYLE.md 7).
const fixed = createBootFiles([
  ['undionly.kpxe', Buffer.from('bios')],
  ['arm64/ipxe.efi', Buffer.from('arm')],
]);
const empty = createBootFiles([]);
const broken: BootFiles = {
  get: () => {
    throw new Error('disk on fire');
  },
  names: () => [],
};

const ctx = (over: Partial<AdmitContext> = {}): AdmitContext => ({
  files: fixed,
  activeTransfers: 0,
  maxTransfers: 10,
  duplicate: false,
  sourcePort: 40000,
  ...over,
});

describe('admitRequest', () => {
  it('accepts a read request for a known file, with its options and mode', () => {
    const rrq = encodeRequest('rrq', '/arm64/ipxe.efi', 'OCTET', [['blksize', '1468']]);
    expect(admitRequest(rrq, ctx())).toEqual({
      action: 'accept',
      file: { name: 'arm64/ipxe.efi', data: Buffer.from('arm') },
      mode: 'octet',
      options: [{ name: 'blksize', value: 1468 }],
    });
  });

  it('answers every refusal with its RFC 1350 error code and a clear message', () => {
    const requests = {
      write: [encodeRequest('wrq', 'undionly.kpxe', 'octet'), ctx()],
      malformedWrite: [Buffer.from([0, 2, 0x61]), ctx()],
      malformed: [Buffer.from([0, 1, 0x61]), ctx()],
      badOption: [encodeRequest('rrq', 'undionly.kpxe', 'octet', [['blksize', '4']]), ctx()],
      mail: [encodeRequest('rrq', 'undionly.kpxe', 'mail'), ctx()],
      traversal: [encodeRequest('rrq', '../etc/passwd', 'octet'), ctx()],
      missing: [encodeRequest('rrq', 'ipxe.efi', 'octet'), ctx()],
      empty: [encodeRequest('rrq', 'undionly.kpxe', 'octet'), ctx({ files: empty })],
      broken: [encodeRequest('rrq', 'undionly.kpxe', 'octet'), ctx({ files: broken })],
      busy: [encodeRequest('rrq', 'undionly.kpxe', 'octet'), ctx({ activeTransfers: 10 })],
    } as const;
    const results = Object.fromEntries(Object.entries(requests).map(([k, [buf, c]]) => [k, admitRequest(buf, c)]));
    expect(results).toEqual({
      write: {
        action: 'reject',
        reason: 'write-refused',
        code: 2,
        message: 'read-only server: write requests are refused',
        filename: 'undionly.kpxe',
      },
      malformedWrite: {
        action: 'reject',
        reason: 'write-refused',
        code: 2,
        message: 'read-only server: write requests are refused',
        filename: '',
      },
      malformed: {
        action: 'reject',
        reason: 'bad-request',
        code: 4,
        message: 'malformed request: filename is not NUL-terminated',
        filename: '',
      },
      badOption: {
        action: 'reject',
        reason: 'bad-option',
        code: 8,
        message: 'option negotiation failed: option blksize must be a decimal number in 8..65464',
        filename: '',
      },
      mail: {
        action: 'reject',
        reason: 'unsupported-mode',
        code: 4,
        message: 'mail mode is not supported',
        filename: 'undionly.kpxe',
      },
      traversal: {
        action: 'reject',
        reason: 'access-violation',
        code: 2,
        message: 'access violation: path not allowed',
        filename: '../etc/passwd',
      },
      missing: { action: 'reject', reason: 'not-found', code: 1, message: 'file not found', filename: 'ipxe.efi' },
      empty: { action: 'reject', reason: 'not-found', code: 1, message: 'file not found', filename: 'undionly.kpxe' },
      broken: {
        action: 'reject',
        reason: 'file-error',
        code: 0,
        message: 'file could not be read',
        filename: 'undionly.kpxe',
      },
      busy: {
        action: 'reject',
        reason: 'busy',
        code: 0,
        message: 'server busy: 10 transfers in progress, retry later',
        filename: 'undionly.kpxe',
      },
    });
  });

  it('drops what is not a request, garbage, and retransmitted requests, each with a reason', () => {
    expect([
      admitRequest(encodeAck(1), ctx()),
      admitRequest(Buffer.from([0, 9, 1, 2]), ctx()),
      admitRequest(Buffer.alloc(1), ctx()),
      admitRequest(encodeRequest('rrq', 'undionly.kpxe', 'octet'), ctx({ duplicate: true })),
      admitRequest(encodeRequest('rrq', 'undionly.kpxe', 'octet'), ctx({ sourcePort: 0 })),
    ]).toEqual([
      { action: 'drop', reason: 'not-a-request' },
      { action: 'drop', reason: 'malformed' },
      { action: 'drop', reason: 'malformed' },
      { action: 'drop', reason: 'duplicate-request' },
      { action: 'drop', reason: 'bad-source-port' },
    ]);
  });

  it('truncates a long requested name in the report', () => {
    const r = admitRequest(encodeRequest('rrq', 'x'.repeat(400), 'octet'), ctx());
    expect(r.action === 'reject' ? r.filename.length : -1).toBe(256);
  });
});

describe('negotiate', () => {
  const limits = { maxBlksize: 1468, maxWindowsize: 16, defaultTimeoutMs: 1000, maxClientTimeoutS: 5 };

  it('no options: RFC 1350 defaults and no OACK', () => {
    expect(negotiate([], 5000, limits)).toEqual({ blksize: 512, windowsize: 1, timeoutMs: 1000, oack: [] });
  });

  it('answers in request order, lowers blksize and windowsize to the limits, reports the real tsize', () => {
    expect(
      negotiate(
        [
          { name: 'tsize', value: 0 },
          { name: 'windowsize', value: 64 },
          { name: 'blksize', value: 65464 },
          { name: 'timeout', value: 3 },
        ],
        74213,
        limits,
      ),
    ).toEqual({
      blksize: 1468,
      windowsize: 16,
      timeoutMs: 3000,
      oack: [
        ['tsize', '74213'],
        ['windowsize', '16'],
        ['blksize', '1468'],
        ['timeout', '3'],
      ],
    });
    expect(negotiate([{ name: 'blksize', value: 1024 }], 1, limits).oack).toEqual([['blksize', '1024']]);
  });

  it('declines a timeout above TFTP_MAX_CLIENT_TIMEOUT_S (RFC 2349 allows no smaller echo) and keeps its own', () => {
    const asked = (value: number) =>
      negotiate(
        [
          { name: 'timeout', value },
          { name: 'tsize', value: 0 },
        ],
        100,
        limits,
      );
    expect([asked(255), asked(6), asked(5), asked(1)]).toEqual([
      { blksize: 512, windowsize: 1, timeoutMs: 1000, oack: [['tsize', '100']] },
      { blksize: 512, windowsize: 1, timeoutMs: 1000, oack: [['tsize', '100']] },
      {
        blksize: 512,
        windowsize: 1,
        timeoutMs: 5000,
        oack: [
          ['timeout', '5'],
          ['tsize', '100'],
        ],
      },
      {
        blksize: 512,
        windowsize: 1,
        timeoutMs: 1000,
        oack: [
          ['timeout', '1'],
          ['tsize', '100'],
        ],
      },
    ]);
    // Only a declined timeout asked for: no option accepted, so no OACK at all (plain RFC 1350 start).
    expect(negotiate([{ name: 'timeout', value: 255 }], 100, limits).oack).toEqual([]);
  });
});

describe('toNetascii', () => {
  it('LF becomes CR LF and a bare CR becomes CR NUL (RFC 764 NVT, as RFC 1350 asks)', () => {
    expect(toNetascii(Buffer.from('a\nb\rc\r\nd'))).toEqual(Buffer.from('a\r\nb\r\0c\r\0\r\nd', 'latin1'));
    const plain = Buffer.from('no line ends');
    expect(toNetascii(plain)).toBe(plain);
  });
});
