import { describe, expect, it } from 'vitest';
import { qemuArgs } from '../harness/qemu.js';

const io = { name: 'vm1', tap: 'tap0', serialPath: '/run/e2e/serial.log' };
const machine = { uuid: '6d627573-0e2e-4b00-8000-00000000e2e1', mac: '52:54:00:6d:62:01' };
const common = [
  'qemu-system-x86_64',
  '-name',
  'vm1',
  '-accel',
  'tcg',
  '-m',
  '512',
  '-nodefaults',
  '-nographic',
  '-serial',
  'file:/run/e2e/serial.log',
  '-no-reboot',
  '-uuid',
  machine.uuid,
];
const netdev = ['-netdev', 'tap,id=net0,ifname=tap0,script=no,downscript=no'];

describe('QEMU command line', () => {
  it('bios: SeaBIOS boots the NIC (its iPXE ROM) first', () => {
    expect(qemuArgs({ firmware: 'bios', ...machine }, io)).toEqual([
      ...common,
      '-boot',
      'n',
      ...netdev,
      '-device',
      'virtio-net-pci,netdev=net0,mac=52:54:00:6d:62:01',
    ]);
  });

  it('uefi-ipxe: OVMF boots the NIC by bootindex, with QEMU iPXE EFI ROM', () => {
    expect(qemuArgs({ firmware: 'uefi-ipxe', ...machine }, io)).toEqual([
      ...common,
      '-bios',
      '/usr/share/ovmf/OVMF.fd',
      ...netdev,
      '-device',
      'virtio-net-pci,netdev=net0,mac=52:54:00:6d:62:01,bootindex=1',
    ]);
  });

  it("uefi-pxe: the NIC ROM is off, so EDK2's own PXE client runs", () => {
    expect(qemuArgs({ firmware: 'uefi-pxe', ...machine, memoryMiB: 256 }, io)).toEqual([
      ...common.map((a) => (a === '512' ? '256' : a)),
      '-bios',
      '/usr/share/ovmf/OVMF.fd',
      ...netdev,
      '-device',
      'virtio-net-pci,netdev=net0,mac=52:54:00:6d:62:01,bootindex=1,romfile=',
    ]);
  });

  it('refuses a serial path QEMU would split at a comma', () => {
    expect(() => qemuArgs({ firmware: 'bios', ...machine }, { ...io, serialPath: '/tmp/a,b' })).toThrow(RangeError);
  });
});
