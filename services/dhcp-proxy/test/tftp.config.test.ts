import { parseConfig } from '@metalbus/config';
import { describe, expect, it } from 'vitest';
import { tftpConfigSchema, toTftpOptions } from '../src/tftp/config.js';

describe('tftpConfigSchema', () => {
  it('defaults: enabled on port 69 of every address, Debian iPXE directory', () => {
    const result = parseConfig('dhcp-proxy', tftpConfigSchema, {});
    expect(result.ok ? toTftpOptions(result.config) : result.error.message).toEqual({
      enabled: true,
      address: '0.0.0.0',
      port: 69,
      ipxeDir: '/usr/lib/ipxe',
      maxTransfers: 500,
      timeoutMs: 1000,
      maxClientTimeoutS: 5,
      retries: 5,
      maxBlksize: 65464,
      maxWindowsize: 64,
      workers: 2,
      maxFileBytes: 64 * 1024 * 1024,
      maxTotalBytes: 256 * 1024 * 1024,
    });
  });

  it('reads every variable from strings', () => {
    const result = parseConfig('dhcp-proxy', tftpConfigSchema, {
      TFTP_ENABLED: 'false',
      TFTP_ADDRESS: '::1',
      TFTP_PORT: '6969',
      IPXE_DIR: '/srv/ipxe',
      TFTP_MAX_TRANSFERS: '50',
      TFTP_TIMEOUT_MS: '250',
      TFTP_MAX_CLIENT_TIMEOUT_S: '30',
      TFTP_RETRIES: '0',
      TFTP_MAX_BLKSIZE: '1468',
      TFTP_MAX_WINDOWSIZE: '1',
      TFTP_WORKERS: '0',
      TFTP_MAX_FILE_BYTES: '1048576',
    });
    expect(result.ok ? toTftpOptions(result.config) : result.error.message).toEqual({
      enabled: false,
      address: '::1',
      port: 6969,
      ipxeDir: '/srv/ipxe',
      maxTransfers: 50,
      timeoutMs: 250,
      maxClientTimeoutS: 30,
      retries: 0,
      maxBlksize: 1468,
      maxWindowsize: 1,
      workers: 0,
      maxFileBytes: 1048576,
      maxTotalBytes: 4194304,
    });
  });

  it('names every bad variable', () => {
    const result = parseConfig('dhcp-proxy', tftpConfigSchema, {
      TFTP_ADDRESS: 'localhost',
      TFTP_PORT: '70000',
      TFTP_MAX_BLKSIZE: '7',
      TFTP_MAX_WINDOWSIZE: '65536',
      TFTP_MAX_CLIENT_TIMEOUT_S: '256',
    });
    expect(result.ok ? null : result.error.issues.map((i) => `${i.variable}: ${i.expected}`)).toEqual([
      'TFTP_ADDRESS: an IPv4 or IPv6 address',
      'TFTP_PORT: a port number 0-65535',
      'TFTP_MAX_CLIENT_TIMEOUT_S: an integer 1-255 (s)',
      'TFTP_MAX_BLKSIZE: an integer 8-65464 (bytes)',
      'TFTP_MAX_WINDOWSIZE: an integer 1-65535 (blocks)',
    ]);
  });

  it('describes every variable (the README table is generated from it)', () => {
    const undescribed = Object.entries(tftpConfigSchema.shape).filter(([, field]) => !field.description);
    expect(undescribed).toEqual([]);
  });
});
