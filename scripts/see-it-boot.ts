// `sudo npm run see-it-boot`: PXE-boot one QEMU machine through metalbus and watch it happen. Builds the e2e
// harness's world (a network namespace with a bridge, a site DHCP server on its own host, NATS, dhcp-proxy and
// boot-http started as `node --import tsx services/<name>/src/main.ts`, a seed-002 Talos/Omni profile), powers
// on a diskless machine and prints, interleaved and stamped from QEMU's start, what the machine's serial console
// shows (SeaBIOS/OVMF, iPXE, Linux) and the `machine.>` events metalbus publishes. Tears everything down at the
// end, on failure and on Ctrl-C. Needs root; `bash .ci/e2e-assets.sh` once for the guest kernel and initramfs.
//
//   sudo npm run see-it-boot                          # SeaBIOS + QEMU's iPXE ROM (~10 s)
//   sudo npm run see-it-boot -- --firmware uefi-pxe   # OVMF's own PXE, iPXE over metalbus's TFTP (~20 s)
import { parseArgs } from 'node:util';
import { loadE2eConfig } from '../test/e2e/harness/config.js';
import { GrowingFile } from '../test/e2e/harness/logfile.js';
import { metalbusStack } from '../test/e2e/harness/metalbus-stack.js';
import { allOf, checkFirmware, checkHost, checkMetalbusStack, guestAssets } from '../test/e2e/harness/preflight.js';
import { startMachine, uniqueMarker } from '../test/e2e/harness/pxe-boot.js';
import { E2E_MACHINE, FIRMWARE_PROFILES, FIRMWARES, type Firmware } from '../test/e2e/harness/qemu.js';
import { createRun } from '../test/e2e/harness/run.js';
import { parseGuestReport, readableSerialLines } from '../test/e2e/harness/serial.js';
import { describeEvent } from '../test/e2e/harness/trace.js';

const tty = process.stdout.isTTY === true;
const paint = (code: string) => (text: string) => (tty ? `\x1b[${code}m${text}\x1b[0m` : text);
const dim = paint('2');
const cyan = paint('36;1');
const green = paint('32;1');
const red = paint('31;1');

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run see-it-boot -- [--firmware ${FIRMWARES.join('|')}]\n`);
  process.exit(2);
}

const { values } = parseArgs({ options: { firmware: { type: 'string', default: 'bios' } }, strict: true });
const firmware = FIRMWARES.find((f) => f === values.firmware) ?? usage(`unknown firmware ${String(values.firmware)}`);

const config = loadE2eConfig();
const check = allOf(checkHost(config), checkMetalbusStack(config), checkFirmware(firmware));
if (!check.ok) {
  process.stderr.write(`${red('cannot boot a machine here:')}\n${check.reasons.map((r) => `  - ${r}`).join('\n')}\n`);
  process.stderr.write(
    'See test/e2e/README.md (root, /dev/net/tun, qemu-system-x86, ovmf, ipxe, dnsmasq, nats-server).\n',
  );
  process.exit(1);
}

async function main(fw: Firmware): Promise<boolean> {
  const run = await createRun(config, 'see-it-boot', { uplink: true, site: true });
  let passed = false;
  try {
    const { ns } = run;
    say(
      dim(
        `namespace ${ns.name}: bridge ${ns.bridge} ${ns.subnet.cidr}, site DHCP host ${ns.subnet.site}, metalbus on ${ns.subnet.server}`,
      ),
    );
    say(dim('starting dnsmasq (addresses only), nats-server, dhcp-proxy and boot-http ...'));
    const marker = uniqueMarker('see-it-boot');
    const { stack, machine } = await startMachine(run, {
      startStack: metalbusStack({ capture: config.METALBUS_E2E_CAPTURE }),
      firmware: fw,
      marker,
      assets: guestAssets(config),
      machine: E2E_MACHINE,
    });
    say(
      dim(
        `stack up in ${(stack.startMs / 1000).toFixed(1)} s; profile "${stack.profile.id}" via group "${stack.profile.groupId}"`,
      ),
    );
    say(dim(`powering on ${E2E_MACHINE.uuid} (${E2E_MACHINE.mac}): ${FIRMWARE_PROFILES[fw].title}`));
    say(dim(`${'time'.padStart(7)}  source │ line`));

    const t0 = machine.qemu.startedAt;
    const stamp = (at: number) => `${((at - t0) / 1000).toFixed(2).padStart(6)}s`;
    const serial = new GrowingFile(machine.serialPath);
    let serialOffset = 0;
    let eventsShown = 0;
    const deadline = performance.now() + config.METALBUS_E2E_BOOT_TIMEOUT_S * 1000;

    for (;;) {
      const text = await serial.read();
      const { lines, consumed } = readableSerialLines(text.slice(serialOffset));
      serialOffset += consumed;
      const now = performance.now();
      // Serial lines are stamped when read (every 50 ms), events when received: print each batch in time order.
      const batch = [
        ...lines.map((line) => ({ at: now, text: `${dim('serial │')} ${line}` })),
        ...stack.events
          .events()
          .slice(eventsShown)
          .map((event) => ({ at: event.receivedAt, text: cyan(`trace  │ ${describeEvent(event)}`) })),
      ];
      eventsShown += batch.length - lines.length;
      for (const item of batch.sort((a, b) => a.at - b.at)) say(`${stamp(item.at)}  ${item.text}`);

      const report = parseGuestReport(text);
      if (report?.uptimeS !== undefined) {
        say('');
        say(green(`The machine booted metalbus's kernel in ${((now - t0) / 1000).toFixed(1)} s from power-on.`));
        say(`  its command line: ${report.cmdline}`);
        say(
          `  marker ${report.args.includes(`metalbus.e2e=${marker}`) ? 'present' : red('MISSING')}: metalbus.e2e=${marker}`,
        );
        passed = report.args.includes(`metalbus.e2e=${marker}`);
        return passed;
      }
      const exited = machine.qemu.exitInfo();
      if (exited !== undefined || now > deadline) {
        say(red(exited ? `QEMU exited (${exited.signal ?? exited.code}) before the guest reported` : 'timed out'));
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await run.teardown(passed);
    say(dim('stack stopped, namespace deleted'));
  }
}

main(firmware).then(
  (ok) => process.exit(ok ? 0 : 1),
  (error: unknown) => {
    process.stderr.write(`${red('see-it-boot failed:')} ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
