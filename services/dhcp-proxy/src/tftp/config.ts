// The TFTP part of dhcp-proxy's configuration: a zod object FRAGMENT whose keys are the env var names. The
// service's src/config.ts merges it into its schema and reads process.env; this module never does.
import { bool, intInRange, ipAddress, path, port } from '@metalbus/config';
import { z } from 'zod';
import { OPTION_RANGES } from './codec.js';

const MIB = 1024 * 1024;

export const tftpConfigSchema = z.object({
  TFTP_ENABLED: bool(true).describe('Serve the iPXE binaries over TFTP (UDP). Off: no socket is opened.'),
  TFTP_ADDRESS: ipAddress()
    .default('0.0.0.0')
    .describe('Address the TFTP server listens on; transfer sockets bind the same address (0.0.0.0 or :: = all).'),
  TFTP_PORT: port(69).describe('UDP port for TFTP read requests (RFC 1350).'),
  IPXE_DIR: path()
    .default('/usr/lib/ipxe')
    .describe(
      'Directory of iPXE binaries loaded into memory at start (regular files, top level and one subfolder such as arm64/).',
    ),
  TFTP_MAX_TRANSFERS: intInRange(1, 100_000, 500, 'transfers').describe(
    'Concurrent transfers; a request beyond it gets TFTP ERROR 0 "server busy".',
  ),
  TFTP_TIMEOUT_MS: intInRange(50, 255_000, 1000, 'ms').describe(
    'Retransmission timeout when the client does not negotiate one (RFC 2349 timeout option).',
  ),
  TFTP_MAX_CLIENT_TIMEOUT_S: intInRange(1, 255, 5, 's').describe(
    'Largest retransmission timeout a client may ask for (RFC 2349 timeout option, 1-255 s). A larger request is ' +
      'left out of the OACK (the RFC lets a server only echo the value or decline it) and TFTP_TIMEOUT_MS applies, ' +
      'so a spoofed request holds a transfer slot for at most (TFTP_RETRIES + 1) timeouts.',
  ),
  TFTP_RETRIES: intInRange(0, 100, 5, 'retransmissions').describe(
    'Retransmissions without progress before a transfer is abandoned.',
  ),
  TFTP_MAX_BLKSIZE: intInRange(OPTION_RANGES.blksize[0], OPTION_RANGES.blksize[1], 65464, 'bytes').describe(
    'Largest block size granted to a client (RFC 2348); lower it if IP fragments are dropped on the path.',
  ),
  TFTP_MAX_WINDOWSIZE: intInRange(1, OPTION_RANGES.windowsize[1], 64, 'blocks').describe(
    'Largest window granted to a client (RFC 7440); 1 means strict lock-step.',
  ),
  TFTP_WORKERS: intInRange(0, 64, 2, 'threads').describe(
    'Worker threads that run transfers, so bulk sends use several cores and stay off the DHCP thread; 0 = none.',
  ),
  TFTP_MAX_FILE_BYTES: intInRange(1, 1024 * MIB, 64 * MIB, 'bytes').describe(
    'Files in IPXE_DIR larger than this are skipped; also caps the total held in memory at 4x this value.',
  ),
});

export type TftpConfig = z.output<typeof tftpConfigSchema>;

export type TftpOptions = {
  readonly enabled: boolean;
  readonly address: string;
  readonly port: number;
  readonly ipxeDir: string;
  readonly maxTransfers: number;
  readonly timeoutMs: number;
  readonly maxClientTimeoutS: number;
  readonly retries: number;
  readonly maxBlksize: number;
  readonly maxWindowsize: number;
  readonly workers: number;
  readonly maxFileBytes: number;
  readonly maxTotalBytes: number;
};

/** The typed options the TFTP modules take, from the parsed env fragment. */
export function toTftpOptions(config: TftpConfig): TftpOptions {
  return Object.freeze({
    enabled: config.TFTP_ENABLED,
    address: config.TFTP_ADDRESS,
    port: config.TFTP_PORT,
    ipxeDir: config.IPXE_DIR,
    maxTransfers: config.TFTP_MAX_TRANSFERS,
    timeoutMs: config.TFTP_TIMEOUT_MS,
    maxClientTimeoutS: config.TFTP_MAX_CLIENT_TIMEOUT_S,
    retries: config.TFTP_RETRIES,
    maxBlksize: config.TFTP_MAX_BLKSIZE,
    maxWindowsize: config.TFTP_MAX_WINDOWSIZE,
    workers: config.TFTP_WORKERS,
    maxFileBytes: config.TFTP_MAX_FILE_BYTES,
    maxTotalBytes: 4 * config.TFTP_MAX_FILE_BYTES,
  });
}
