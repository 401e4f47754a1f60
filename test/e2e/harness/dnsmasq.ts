import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RunSubnet } from './addressing.js';
import { E2eError, E2eErrorCode } from './errors.js';
import { GrowingFile, waitForText } from './logfile.js';
import type { Netns } from './netns.js';
import { startChild, type Child } from './processes.js';

/**
 * What the site's DHCP server does on the segment.
 * - `addresses`: leases only, no boot options, as a real site DHCP server next to metalbus's dhcp-proxy.
 * - `full`: addresses and the boot file (variant A of reference/pxe-e2e.md): iPXE clients get the HTTP script
 *   URL, plain PXE clients an iPXE binary over dnsmasq's own TFTP. Only the harness self-test uses it.
 */
export type SiteDhcpMode =
  { kind: 'addresses' } | { kind: 'full'; scriptUrl: string; tftpRoot: string; nbp: { bios: string; efi64: string } };

export type DnsmasqFiles = { leaseFile: string; logFile: string };

/** The whole dnsmasq configuration for one segment. Pure: same inputs, same text. */
export function dnsmasqConfig(
  // `bridge`: the interface dnsmasq serves (the bridge, or the site host's eth0).
  segment: { bridge: string; subnet: RunSubnet },
  files: DnsmasqFiles,
  mode: SiteDhcpMode,
): string {
  const { bridge, subnet } = segment;
  const lines = [
    `# metalbus e2e site DHCP server (${mode.kind})`,
    'port=0', // no DNS
    `interface=${bridge}`,
    'bind-interfaces',
    // Stay root: logs and leases live in the run folder, and several instances may run at once. Keep the group
    // too: switching to the default group (dip) clears the parent-death signal that stops dnsmasq with the test.
    'user=root',
    'group=root',
    'pid-file=',
    `dhcp-leasefile=${files.leaseFile}`,
    `log-facility=${files.logFile}`,
    'log-dhcp',
    `dhcp-range=${subnet.pool.first},${subnet.pool.last},${subnet.netmask},1h`,
    // Offer at once instead of pinging the address first (3 s per boot).
    'no-ping',
    // iPXE's IPv6 autoconfiguration waits ~13 s for a router advertisement: send one (RA only, no DHCPv6).
    'enable-ra',
    `dhcp-range=::,constructor:${bridge},ra-only`,
  ];
  if (mode.kind === 'full') {
    lines.push(
      // Option 77 "iPXE": the client already runs iPXE, so hand it the script URL instead of an iPXE binary.
      'dhcp-userclass=set:ipxe,iPXE',
      // Option 93 (RFC 4578 client architecture) 7 and 9: x86-64 UEFI.
      'dhcp-match=set:efi64,option:client-arch,7',
      'dhcp-match=set:efi64,option:client-arch,9',
      `dhcp-boot=tag:ipxe,${mode.scriptUrl}`,
      `dhcp-boot=tag:!ipxe,tag:efi64,${mode.nbp.efi64},,${subnet.server}`,
      `dhcp-boot=tag:!ipxe,tag:!efi64,${mode.nbp.bios},,${subnet.server}`,
      // iPXE setting no-pxedhcp (option 175.176): there is no proxy here, so iPXE must not wait ~3 s for one.
      'dhcp-option=tag:ipxe,encap:175,176,1b',
      'enable-tftp',
      `tftp-root=${mode.tftpRoot}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Start dnsmasq on the run's segment: inside `ns` on its bridge, or on the run's site host (netns.ts `site`) when
 * there is one. Resolves once it has bound its DHCP socket.
 */
export async function startDnsmasq(ns: Netns, dir: string, mode: SiteDhcpMode, name = 'dnsmasq'): Promise<Child> {
  const files = { leaseFile: join(dir, `${name}.leases`), logFile: join(dir, `${name}.log`) };
  const confPath = join(dir, `${name}.conf`);
  const host =
    ns.site === undefined ? { netns: ns.name, iface: ns.bridge } : { netns: ns.site.name, iface: ns.site.iface };
  await writeFile(confPath, dnsmasqConfig({ bridge: host.iface, subnet: ns.subnet }, files, mode));
  // -k: stay in the foreground, so the PID we hold is dnsmasq's; -C: only our file, never /etc/dnsmasq.conf.
  const child = await startChild({
    name,
    argv: ['dnsmasq', '-k', '-C', confPath],
    logPath: join(dir, `${name}.stderr.log`),
    netns: host.netns,
  });
  try {
    // dnsmasq logs its DHCP range once the sockets are set up.
    await waitForText(new GrowingFile(files.logFile), (t) => (t.includes('DHCP, IP range') ? true : undefined), {
      timeoutMs: 10_000,
      child,
      what: 'dnsmasq start-up',
    });
  } catch (error) {
    await child.stop();
    // Configuration errors go to stderr before the log file is opened.
    const stderr = await new GrowingFile(child.logPath).tail(10);
    throw new E2eError(E2eErrorCode.childExited, `${name} did not start; its stderr:`, stderr, { cause: error });
  }
  return child;
}
