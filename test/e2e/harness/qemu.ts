import { join } from 'node:path';
import type { Netns } from './netns.js';
import { startChild, type Child } from './processes.js';

export const FIRMWARES = ['bios', 'uefi-ipxe', 'uefi-pxe'] as const;
export type Firmware = (typeof FIRMWARES)[number];

const OVMF = '/usr/share/ovmf/OVMF.fd';
const SEABIOS = '/usr/share/seabios/bios-256k.bin';
// QEMU loads this combined BIOS + EFI iPXE ROM for virtio-net-pci from its firmware path (Debian's ipxe-qemu).
const VIRTIO_NIC_ROM = '/usr/lib/ipxe/qemu/efi-virtio.rom';

type FirmwareProfile = {
  /** What the first network boot client is, for messages and the README. */
  readonly title: string;
  /** Files QEMU needs for it; a missing one means the scenario is skipped, loudly. */
  readonly files: readonly string[];
  readonly args: readonly string[];
  /** NIC properties: `bootindex=1` (OVMF boots by bootindex) and `romfile=` (no option ROM: EDK2's own PXE). */
  readonly nicProps: readonly string[];
};

export const FIRMWARE_PROFILES: Readonly<Record<Firmware, FirmwareProfile>> = {
  bios: {
    title: 'SeaBIOS + QEMU iPXE NIC ROM (arch 0, user class iPXE)',
    files: [SEABIOS, VIRTIO_NIC_ROM],
    args: ['-boot', 'n'],
    nicProps: [],
  },
  'uefi-ipxe': {
    title: 'OVMF + QEMU iPXE EFI NIC ROM (arch 7, user class iPXE)',
    files: [OVMF, VIRTIO_NIC_ROM],
    args: ['-bios', OVMF],
    nicProps: ['bootindex=1'],
  },
  'uefi-pxe': {
    title: 'OVMF EDK2 PXE, NIC ROM off (arch 7, no user class) -> TFTP iPXE -> HTTP',
    files: [OVMF],
    args: ['-bios', OVMF],
    nicProps: ['bootindex=1', 'romfile='],
  },
};

export type MachineSpec = {
  firmware: Firmware;
  /** SMBIOS UUID: what iPXE's ${uuid} prints and option 97 carries (first three fields little-endian). */
  uuid: string;
  mac: string;
  memoryMiB?: number;
};

/** The machine every scenario boots unless it says otherwise: fixed identity, so stacks can match it. */
export const E2E_MACHINE = { uuid: '6d627573-0e2e-4b00-8000-00000000e2e1', mac: '52:54:00:6d:62:01' } as const;

export type Machine = { readonly spec: MachineSpec; readonly serialPath: string; readonly qemu: Child };

/** The QEMU command line for one diskless network-booting machine. Pure. */
export function qemuArgs(spec: MachineSpec, io: { name: string; tap: string; serialPath: string }): string[] {
  if (io.serialPath.includes(',')) throw new RangeError(`QEMU option values cannot hold a comma: ${io.serialPath}`);
  const profile = FIRMWARE_PROFILES[spec.firmware];
  const nic = ['virtio-net-pci', 'netdev=net0', `mac=${spec.mac}`, ...profile.nicProps].join(',');
  return [
    'qemu-system-x86_64',
    ['-name', io.name],
    // /dev/kvm may exist but nested KVM hangs once Linux starts on this machine kind: always emulate.
    ['-accel', 'tcg'],
    ['-m', String(spec.memoryMiB ?? 512)],
    // No default VGA, NIC, serial or monitor. -nographic (not -display none) is what makes SeaBIOS mirror its
    // console, and so iPXE's, to the serial port: the log then shows DHCP and HTTP progress, not only Linux.
    ['-nodefaults', '-nographic'],
    ['-serial', `file:${io.serialPath}`],
    // The guest powers off after printing; a kernel panic (panic=-1) reboots, which -no-reboot turns into an exit.
    ['-no-reboot'],
    ['-uuid', spec.uuid],
    profile.args,
    ['-netdev', `tap,id=net0,ifname=${io.tap},script=no,downscript=no`],
    ['-device', nic],
  ].flat();
}

/** Boot one machine on the namespace's tap. Stop it with `machine.qemu.stop()`. */
export async function startQemu(ns: Netns, spec: MachineSpec, dir: string): Promise<Machine> {
  const name = `metalbus-e2e-${ns.runId}-${spec.firmware}`;
  const serialPath = join(dir, `serial-${spec.firmware}.log`);
  const qemu = await startChild({
    name: `qemu ${spec.firmware}`,
    argv: qemuArgs(spec, { name, tap: ns.tap, serialPath }),
    logPath: join(dir, `qemu-${spec.firmware}.log`),
    netns: ns.name,
  });
  return { spec, serialPath, qemu };
}
