import { E2eError, E2eErrorCode } from './errors.js';
import { GrowingFile, waitForText } from './logfile.js';
import type { Netns } from './netns.js';
import { startChild, type Child } from './processes.js';

/**
 * What a boot says on the wire before HTTP: DHCP (67/68), ProxyDHCP (4011), TFTP (69 and the ephemeral ports of
 * its transfers). Everything else on the bridge is TCP (HTTP) or ICMPv6 (router advertisements).
 */
export const CAPTURE_FILTER = 'udp';

/**
 * tcpdump on the run's bridge into `pcapPath`, for diagnosing a service's replies (read it with
 * `tcpdump -r <file> -vvv` or Wireshark). Resolves once tcpdump is capturing, so the first DISCOVER is in it.
 */
export async function startCapture(ns: Netns, pcapPath: string): Promise<Child> {
  const log = new GrowingFile(`${pcapPath}.log`);
  // -U: write each packet at once (a killed tcpdump still leaves a readable file); -s 0: whole packets.
  const child = await startChild({
    name: 'tcpdump',
    argv: ['tcpdump', '-i', ns.bridge, '-n', '-U', '-s', '0', '-w', pcapPath, CAPTURE_FILTER],
    logPath: log.path,
    netns: ns.name,
    cleanEnv: true,
  });
  try {
    await waitForText(log, (t) => (t.includes('listening on') ? true : undefined), {
      timeoutMs: 10_000,
      child,
      what: 'tcpdump listening',
    });
  } catch (error) {
    await child.stop();
    throw new E2eError(E2eErrorCode.childExited, 'tcpdump did not start', await log.tail(5), { cause: error });
  }
  return child;
}
