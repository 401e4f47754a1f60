import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pendingEmergencies } from './harness/cleanup.js';
import { loadE2eConfig } from './harness/config.js';
import { leftovers } from './harness/netns.js';
import { checkFirmware, checkHost, guestAssets, warnSkipped } from './harness/preflight.js';
import { guestKernelArgs, pxeBoot, uniqueMarker } from './harness/pxe-boot.js';
import { FIRMWARE_PROFILES, type Firmware } from './harness/qemu.js';
import { createRun } from './harness/run.js';
import { SELFTEST_NBP, startSelftestStack } from './harness/selftest-stack.js';

// The harness self-test: PXE-boot real QEMU machines against the stand-in stack (dnsmasq + node:http), so the
// harness is proven before any metalbus service exists. Shared by the *.e2e.test.ts files that pick firmwares.

const config = loadE2eConfig();
const timeoutMs = config.METALBUS_E2E_BOOT_TIMEOUT_S * 1000;

export function describeSelftest(file: string, firmwares: readonly Firmware[]): void {
  const host = checkHost(config);
  if (!host.ok) warnSkipped(`PXE e2e harness self-test (${file})`, host.reasons);

  describe.skipIf(!host.ok)('e2e harness self-test (stand-in stack: dnsmasq + node:http)', () => {
    for (const firmware of firmwares) {
      const needs = checkFirmware(firmware, Object.values(SELFTEST_NBP));
      if (host.ok && !needs.ok) warnSkipped(`PXE e2e self-test, firmware ${firmware} (${file})`, needs.reasons);

      it.skipIf(!needs.ok)(
        `${firmware}: ${FIRMWARE_PROFILES[firmware].title} boots the kernel with the scenario's marker`,
        async () => {
          // The BIOS scenario also proves the uplink (host <-> namespace veth) that the metalbus stack needs.
          const withUplink = firmware === 'bios';
          const run = await createRun(config, `selftest-${firmware}`, { uplink: withUplink });
          let passed = false;
          try {
            const marker = uniqueMarker(`selftest-${firmware}`);
            const assets = guestAssets(config);
            const boot = await pxeBoot(run, { startStack: startSelftestStack, firmware, marker, assets, timeoutMs });
            console.info(
              `[e2e] ${firmware}: QEMU start -> guest command line ${(boot.timings.qemuStartToCmdlineMs / 1000).toFixed(1)} s` +
                ` (guest uptime ${boot.timings.guestUptimeS ?? '?'} s)`,
            );

            // The Linux EFI stub puts the image name first; SeaBIOS's Linux loader does not.
            const image = firmware === 'bios' ? [] : [basename(assets.kernelPath)];
            const initrd = basename(assets.initrdPath);
            expect(boot.report.args).toEqual([...image, `initrd=${initrd}`, ...guestKernelArgs(marker)]);

            const size = async (p: string): Promise<number> => (await stat(p)).size;
            expect(await boot.stack.served()).toEqual([
              { path: '/boot.ipxe', status: 200, bytes: await size(`${run.dir}/selftest/boot.ipxe`) },
              { path: `/${basename(assets.kernelPath)}`, status: 200, bytes: await size(assets.kernelPath) },
              { path: `/${initrd}`, status: 200, bytes: await size(assets.initrdPath) },
            ]);

            if (withUplink) {
              const script = await fetch(`http://${run.ns.subnet.uplink.ns}:8080/boot.ipxe`);
              expect((await script.text()).split('\n')[0]).toBe('#!ipxe');
            }
            passed = true;
          } finally {
            await run.teardown(passed);
          }
          expect(leftovers(run.ns.runId)).toEqual({ namespaces: [], links: [] });
          expect(pendingEmergencies()).toEqual([]);
        },
        timeoutMs + 30_000,
      );
    }
  });
}
