import { describe, it } from 'vitest';
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
  SECOND_MACHINE,
  TEST_TIMEOUT_MS,
  type Identity,
} from './metalbus-scenarios.js';

// (e) Two machines at once, each in its own run (namespace, site DHCP host, NATS, dhcp-proxy, boot-http): both
// boot, each gets its own run's marker and join token, and each trace holds only its own machine.

const FILE = 'test/e2e/metalbus-two-machines.e2e.test.ts';
const host = preflight(FILE, ['bios']);
expectNothingPendingAfterAll();

describe.skipIf(!host.ok)('metalbus, two machines at once', () => {
  it(
    '(e) two BIOS machines in separate namespaces boot side by side',
    async ({ expect }) => {
      const bootOne = (label: string, machine: Identity) =>
        inRun(label, async (run) => {
          const boot = await bootOnMetalbus(run, 'bios', machine);
          const { stack } = boot;
          expect(boot.report.args).toEqual(expectedCmdline('bios', stack));
          expect(boot.report.args).toContain(`metalbus.e2e=${boot.marker}`);
          expect(boot.report.args).toContain(
            `siderolink.api=grpc://${run.ns.subnet.server}:8090?jointoken=e2e-join-${run.ns.runId}`,
          );
          await initrdServed(stack, machine);
          expect(traceOf(stack.events.events())).toEqual([
            ipxeDiscovered(machine, 0, stack),
            ...(await profileBootSteps(machine, stack)),
          ]);
        });
      // allSettled: the second run's teardown must happen even when the first fails.
      const results = await Promise.allSettled([
        bootOne('metalbus-two-1', E2E_MACHINE),
        bootOne('metalbus-two-2', SECOND_MACHINE),
      ]);
      for (const r of results) if (r.status === 'rejected') throw r.reason;
    },
    TEST_TIMEOUT_MS,
  );
});
