import { createKvWriter } from '@metalbus/bus';
import { BUCKETS, machineRecordSchema } from '@metalbus/events';
import { describe, it } from 'vitest';
import { GrowingFile, waitForText } from './harness/logfile.js';
import { E2E_MACHINE } from './harness/qemu.js';
import { GUEST_MARKERS } from './harness/serial.js';
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
  startOnMetalbus,
  TEST_TIMEOUT_MS,
  withTraceparent,
} from './metalbus-scenarios.js';

// SeaBIOS + QEMU's iPXE NIC ROM against metalbus: (a) profile mode boots the seed-002 profile; (d) Omni mode with
// a "disk" boot intent sends iPXE back to the firmware. The two run side by side (separate namespaces).

const FILE = 'test/e2e/metalbus-bios.e2e.test.ts';
const host = preflight(FILE, ['bios']);
expectNothingPendingAfterAll();

describe.skipIf(!host.ok).concurrent('metalbus, BIOS with QEMU iPXE ROM', () => {
  it(
    '(a) profile mode: DISCOVER -> our OFFER -> boot.ipxe -> /ipxe -> kernel + initramfs over HTTP',
    async ({ expect }) => {
      await inRun('metalbus-bios', async (run) => {
        const machine = E2E_MACHINE;
        const boot = await bootOnMetalbus(run, 'bios', machine);
        const { stack } = boot;

        // The guest got exactly the profile's arguments: seed 002's Omni parameters and the run's marker.
        expect(boot.report.args).toEqual(expectedCmdline('bios', stack));
        expect(boot.report.args).toContain(`metalbus.e2e=${boot.marker}`);

        await initrdServed(stack, machine);
        const events = stack.events.events();
        console.info(`[e2e] bios trace: ${events.length} events, ${withTraceparent(events)} with a traceparent header`);
        expect(traceOf(events)).toEqual([
          ipxeDiscovered(machine, 0, stack),
          ...(await profileBootSteps(machine, stack)),
        ]);

        // dhcp-proxy's record of the machine (it owns the `machines` bucket), keyed by the same canonical UUID.
        const record = machineRecordSchema.parse(await createKvWriter(stack.bus).get(BUCKETS.machines, machine.uuid));
        const { machineId, uuid, macs, arch, firmware, clientArch } = record;
        expect({ machineId, uuid, macs, arch, firmware, clientArch }).toEqual({
          machineId: machine.uuid,
          uuid: machine.uuid,
          macs: [machine.mac],
          arch: 'amd64',
          firmware: 'ipxe',
          clientArch: 0,
        });
      });
    },
    TEST_TIMEOUT_MS,
  );

  it(
    '(d) Omni mode, boot intent "disk": the script is `exit` and our kernel is never loaded',
    async ({ expect }) => {
      await inRun('metalbus-disk', async (run) => {
        const machine = E2E_MACHINE;
        const { stack, machine: vm } = await startOnMetalbus(run, 'bios', { bootIntent: 'disk' }, machine);
        await stack.events.waitFor((e) => e.subject === `machine.boot.script.${machine.uuid}`, 90_000);

        // iPXE runs `exit`, returns to SeaBIOS, which tries its other boot devices and gives up: from then on nothing
        // can load our kernel. The serial console shows every step (iPXE's and SeaBIOS's output are mirrored to it).
        const serial = new GrowingFile(vm.serialPath);
        await waitForText(serial, (t) => (t.includes('No bootable device') ? true : undefined), {
          timeoutMs: 60_000,
          child: vm.qemu,
          what: "SeaBIOS's 'No bootable device' after iPXE exited",
        });
        // A last look a moment later, so an event still in flight would be in the trace.
        await new Promise((resolve) => setTimeout(resolve, 1000));

        expect(traceOf(stack.events.events())).toEqual([
          ipxeDiscovered(machine, 0, stack),
          {
            event: 'boot.script',
            machineId: machine.uuid,
            mode: 'disk',
            status: 200,
            profileId: null,
            groupId: null,
            mac: machine.mac,
            arch: 'amd64',
          },
        ]);
        expect((await serial.read()).includes(GUEST_MARKERS.begin)).toBe(false);

        // What boot-http answers this machine (DISK_BOOT_METHOD defaults to exit), asked the way iPXE asks.
        const query = `uuid=${machine.uuid}&mac=${machine.mac.replaceAll(':', '-')}&arch=i386&platform=pcbios`;
        const answer = await fetch(`${stack.uplinkHttpBase}/ipxe?${query}`);
        expect({ status: answer.status, body: await answer.text() }).toEqual({ status: 200, body: '#!ipxe\nexit\n' });
      });
    },
    TEST_TIMEOUT_MS,
  );
});
