import { describe, expect, it } from 'vitest';
import { parseGuestReport, readableSerialLines } from '../harness/serial.js';

const BIOS_TAIL = [
  'http://10.96.2.1:8080/initrd.cpio.gz... ok',
  '\x1bc\x1b[?7l',
  'METALBUS-E2E-CMDLINE-BEGIN',
  'initrd=initrd.cpio.gz console=ttyS0 quiet panic=-1 metalbus.e2e=m-1',
  'METALBUS-E2E-CMDLINE-END',
  'METALBUS-E2E-UPTIME 1.70',
  '[    1.685838] reboot: Power down',
  '',
].join('\r\n');

describe('guest report on the serial console', () => {
  it('extracts the command line and uptime from firmware and kernel noise', () => {
    expect(parseGuestReport(BIOS_TAIL)).toEqual({
      cmdline: 'initrd=initrd.cpio.gz console=ttyS0 quiet panic=-1 metalbus.e2e=m-1',
      args: ['initrd=initrd.cpio.gz', 'console=ttyS0', 'quiet', 'panic=-1', 'metalbus.e2e=m-1'],
      uptimeS: 1.7,
    });
  });

  it('is not there until the end marker is, and has no uptime until that line is', () => {
    const upToEnd = BIOS_TAIL.slice(0, BIOS_TAIL.indexOf('METALBUS-E2E-UPTIME'));
    expect(parseGuestReport(BIOS_TAIL.slice(0, BIOS_TAIL.indexOf('METALBUS-E2E-CMDLINE-END')))).toBeUndefined();
    expect(parseGuestReport(upToEnd)?.uptimeS).toBeUndefined();
    expect(parseGuestReport('SeaBIOS\r\niPXE\r\n')).toBeUndefined();
  });

  it('drops kernel messages that interleave with the command line', () => {
    const text = 'METALBUS-E2E-CMDLINE-BEGIN\n[    0.9] random: crng init done\na=1 b=2\nMETALBUS-E2E-CMDLINE-END\n';
    expect(parseGuestReport(text)).toEqual({ cmdline: 'a=1 b=2', args: ['a=1', 'b=2'], uptimeS: undefined });
  });
});

describe('readable serial lines', () => {
  it('drops escapes, control characters and blank parts, splits carriage returns, keeps an open last line', () => {
    const text =
      '\x1b[2J\x1b[01;01H\x1b[=3h\r\n>>Start PXE over IPv4.\r\n' +
      'Press Ctrl-B for the iPXE command line...\r          \rnet0: 52:54:00:6d:62:01 (open)\r\n' +
      'Press Ctrl-B for the iPXE command line...\b\b\b          net0: using virtio-net\r\n' +
      '\x1bc\x1b[?7l\x1b(BBooting\x07 from ROM...\r\n' +
      'http://10.96.2.1:8080/vmlinuz... 4';
    const { lines, consumed } = readableSerialLines(text);
    expect(lines).toEqual([
      '>>Start PXE over IPv4.',
      'Press Ctrl-B for the iPXE command line...',
      'net0: 52:54:00:6d:62:01 (open)',
      'Press Ctrl-B for the iPXE command line...',
      'net0: using virtio-net',
      'Booting from ROM...',
    ]);
    expect(text.slice(consumed)).toBe('http://10.96.2.1:8080/vmlinuz... 4');
  });
});
