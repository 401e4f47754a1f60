import { join } from 'node:path';
import { describe, it } from 'vitest';
import { IPXE_DIR, UEFI_FIRST_STAGE } from './harness/metalbus-stack.js';
import { E2E_MACHINE } from './harness/qemu.js';
import { traceOf } from './harness/trace.js';
import {
  bootOnMetalbus,
  expectedCmdline,
  expectNothingPendingAfterAll,
  initrdServed,
  inRun,
  ipxeDiscovered,
  preflight,
  profileBootSteps,
  sizeOf,
  TEST_TIMEOUT_MS,
} from './metalbus-scenarios.js';

// OVMF against metalbus: (b) with QEMU's iPXE EFI NIC ROM, (c) with the NIC ROM off, so that EDK2's own PXE
// client asks first and loads iPXE from dhcp-proxy's TFTP server. Side by side, in separate namespaces.

const FILE = 'test/e2e/metalbus-uefi.e2e.test.ts';
const host = preflight(FILE, ['uefi-ipxe', 'uefi-pxe']);
expectNothingPendingAfterAll();

describe.skipIf(!host.ok).concurrent('metalbus, UEFI (OVMF)', () => {
  it(
    '(b) UEFI with QEMU iPXE ROM: the same profile boot through the EFI stub',
    async ({ expect }) => {
      await inRun('metalbus-uefi-ipxe', async (run) => {
        const machine = E2E_MACHINE;
        const boot = await bootOnMetalbus(run, 'uefi-ipxe', machine);
        const { stack } = boot;
        expect(boot.report.args).toEqual(expectedCmdline('uefi-ipxe', stack));
        expect(boot.report.args).toContain(`metalbus.e2e=${boot.marker}`);

        await initrdServed(stack, machine);
        expect(traceOf(stack.events.events())).toEqual([
          ipxeDiscovered(machine, 7, stack),
          ...(await profileBootSteps(machine, stack)),
        ]);
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    '(c) TFTP first stage: EDK2 PXE -> our OFFER -> 4011 -> snponly.efi over our TFTP -> iPXE -> HTTP',
    async ({ expect }) => {
      await inRun('metalbus-uefi-pxe', async (run) => {
        const machine = E2E_MACHINE;
        const boot = await bootOnMetalbus(run, 'uefi-pxe', machine);
        const { stack } = boot;
        expect(boot.report.args).toEqual(expectedCmdline('uefi-pxe', stack));

        await initrdServed(stack, machine);
        const edk2 = {
          event: 'discovered',
          machineId: machine.uuid,
          uuid: machine.uuid,
          mac: machine.mac,
          arch: 'amd64',
          // EDK2's PxeBcDxe: option 93 = 7, no iPXE user class. It gets the first stage's TFTP name.
          firmware: 'uefi',
          clientArch: 7,
          isIpxe: false,
          bootFile: UEFI_FIRST_STAGE,
        } as const;
        expect(traceOf(stack.events.events())).toEqual([
          { ...edk2, messageType: 'discover', port: 67 },
          // No option 43 for UEFI (reply.ts): EDK2 asks again on 4011 (PXE 2.1 BINL) and boots the ACK's file.
          { ...edk2, messageType: 'request', port: 4011 },
          {
            event: 'boot.asset',
            machineId: machine.uuid,
            transport: 'tftp',
            path: UEFI_FIRST_STAGE,
            kind: 'ipxe',
            status: 0,
            bytes: await sizeOf(join(IPXE_DIR, UEFI_FIRST_STAGE)),
            source: 'ipxe',
          },
          // snponly.efi's own DISCOVER (user class iPXE) gets the script URL but no second `discovered` event:
          // dhcp-proxy publishes at most one per MAC and message type/port within DHCP_DEBOUNCE_SECONDS (30 s), and
          // EDK2's DISCOVER on 67 came a few seconds earlier.
          ...(await profileBootSteps(machine, stack)),
        ]);
      });
    },
    TEST_TIMEOUT_MS,
  );
});
