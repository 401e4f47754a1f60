import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseCidrs, pickSubnet, type RunSubnet } from './addressing.js';
import { onEmergency } from './cleanup.js';
import { E2eError, E2eErrorCode } from './errors.js';
import { runCommand, runCommandSync } from './processes.js';

/** Every namespace the harness creates is named `mbe2e-<pid of the test process>-<run id>[-site]`. */
export const NETNS_PREFIX = 'mbe2e-';
const SITE_SUFFIX = '-site';
const OUR_NAMESPACE = /^mbe2e-(\d+)-([0-9a-f]+)(?:-site)?$/;
/** The host end of a run's uplink: `mbe<run id>u`. */
const UPLINK_HOST_IF = /^mbe([0-9a-f]{6})u$/;

export type Netns = {
  readonly name: string;
  /** 6 hex digits, unique per run; also in the name of the host end of the uplink. */
  readonly runId: string;
  /** The machines' L2 segment: a bridge in the namespace holding the tap. */
  readonly bridge: string;
  /** The tap QEMU attaches to, a port of the bridge. */
  readonly tap: string;
  readonly subnet: RunSubnet;
  /** Present when created with `uplink: true`: the host reaches `subnet.uplink.ns` through `hostIf`. */
  readonly uplink: { readonly hostIf: string; readonly nsIf: string } | undefined;
  /** Present when created with `site: true`: the site host's namespace and its interface on the segment. */
  readonly site: { readonly name: string; readonly iface: string } | undefined;
  /** Kill whatever still runs inside, delete the namespace (which deletes its links), wait until they are gone. */
  destroy(): Promise<void>;
};

export type NetnsOptions = {
  /**
   * A veth pair between the host and the namespace (`subnet.uplink`), for a test process that must reach a
   * service inside (NATS) or the reverse. Off by default: the namespace then has no way out at all.
   */
  uplink?: boolean;
  /**
   * A second namespace, `<name>-site`, plugged into the bridge with a veth pair: another host on the segment at
   * `subnet.site`, where the site's DHCP server runs. Then the DHCP server and the stack under test have
   * different addresses (option 54), as when a router or another box gives out leases; it also gives the bridge
   * carrier before QEMU opens its tap (see the README: dhcp-proxy needs that).
   */
  site?: boolean;
};

const BRIDGE = 'br0';
const TAP = 'tap0';
const NS_UPLINK = 'uplink0';
/** The site host's end of its cable, and the bridge port at the other end. */
const SITE_IF = 'eth0';
const SITE_PORT = 'site0';

export async function createNetns(opts: NetnsOptions = {}): Promise<Netns> {
  sweepStaleNamespaces();
  const runId = randomBytes(3).toString('hex');
  const name = `${NETNS_PREFIX}${process.pid}-${runId}`;
  const subnet = pickSubnet(takenSubnets());
  if (!subnet) throw new E2eError(E2eErrorCode.noFreeSubnet, 'no free /24 in 10.96.0.0/11 for an e2e namespace');
  const hostIf = opts.uplink ? `mbe${runId}u` : undefined; // matches UPLINK_HOST_IF
  const siteName = opts.site ? `${name}${SITE_SUFFIX}` : undefined;
  const names = siteName === undefined ? [name] : [name, siteName];

  const unregister: (() => void)[] = [];
  const destroy = async (): Promise<void> => {
    for (const n of [...names].reverse()) deleteNamespaceSync(n);
    // The kernel frees a namespace only when nothing refers to it any more, and an orphaned TCP socket (boot-http
    // closing a connection to a VM that is already gone, retrying its FIN for minutes) is such a reference: the
    // uplink pair would live on with it. Deleting the host end takes both ends down at once.
    if (hostIf !== undefined) runCommandSync(['ip', 'link', 'del', hostIf]);
    for (const u of unregister) u();
    await waitUntilGone(names, hostIf);
  };
  for (const n of names) {
    await runCommand(['ip', 'netns', 'add', n]).catch(async (error: unknown) => {
      await destroy();
      throw error;
    });
    unregister.push(
      onEmergency(`delete netns ${n}`, () => {
        deleteNamespaceSync(n);
        if (n === name && hostIf !== undefined) runCommandSync(['ip', 'link', 'del', hostIf]);
      }),
    );
  }

  try {
    const ip = (...args: string[]): Promise<string> => runCommand(['ip', '-n', name, ...args]);
    // DAD would hold addresses "tentative" for a second each time the bridge gains carrier (QEMU opening the tap),
    // delaying the router advertisement iPXE waits for; nothing else can own them on a private segment. (dnsmasq
    // then needs no carrier before QEMU starts; dhcp-proxy does: see `site`.)
    await setIpv6(name, 'all', 'accept_dad', 0);
    await setIpv6(name, 'default', 'accept_dad', 0);
    await ip('link', 'set', 'lo', 'up');
    await ip('link', 'add', BRIDGE, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
    await ip('addr', 'add', `${subnet.server}/24`, 'dev', BRIDGE);
    await ip('addr', 'add', `${subnet.server6}/64`, 'dev', BRIDGE, 'nodad');
    await ip('tuntap', 'add', 'dev', TAP, 'mode', 'tap');
    await ip('link', 'set', TAP, 'master', BRIDGE);
    for (const link of [BRIDGE, TAP]) await ip('link', 'set', link, 'up');
    if (siteName !== undefined) {
      const site = (...args: string[]): Promise<string> => runCommand(['ip', '-n', siteName, ...args]);
      await setIpv6(siteName, 'all', 'accept_dad', 0);
      await setIpv6(siteName, 'default', 'accept_dad', 0);
      await ip('link', 'add', SITE_PORT, 'type', 'veth', 'peer', 'name', SITE_IF, 'netns', siteName);
      await ip('link', 'set', SITE_PORT, 'master', BRIDGE);
      await ip('link', 'set', SITE_PORT, 'up');
      await site('link', 'set', 'lo', 'up');
      await site('addr', 'add', `${subnet.site}/24`, 'dev', SITE_IF);
      await site('addr', 'add', `${subnet.site6}/64`, 'dev', SITE_IF, 'nodad');
      await site('link', 'set', SITE_IF, 'up');
    }
    if (hostIf) {
      await runCommand(['ip', 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', NS_UPLINK, 'netns', name]);
      await runCommand(['ip', 'addr', 'add', `${subnet.uplink.host}/${subnet.uplink.length}`, 'dev', hostIf]);
      await runCommand(['ip', 'link', 'set', hostIf, 'up']);
      await ip('addr', 'add', `${subnet.uplink.ns}/${subnet.uplink.length}`, 'dev', NS_UPLINK);
      await ip('link', 'set', NS_UPLINK, 'up');
    }
  } catch (error) {
    await destroy();
    throw error;
  }

  const uplink = hostIf ? { hostIf, nsIf: NS_UPLINK } : undefined;
  const site = siteName === undefined ? undefined : { name: siteName, iface: SITE_IF };
  return { name, runId, bridge: BRIDGE, tap: TAP, subnet, uplink, site, destroy };
}

/** Set an IPv6 sysctl of the namespace (/proc/sys/net is per namespace, so it is written from inside). */
function setIpv6(ns: string, iface: string, key: string, value: number): Promise<string> {
  return runCommand(['ip', 'netns', 'exec', ns, 'sh', '-c', `echo ${value} > /proc/sys/net/ipv6/conf/${iface}/${key}`]);
}

/** What is left of a run: namespaces and host links carrying its id. Empty after a clean teardown. */
export function leftovers(runId: string): { namespaces: string[]; links: string[] } {
  const namespaces = listNamespaces().filter((n) => OUR_NAMESPACE.exec(n)?.[2] === runId);
  const links = hostLinks().filter((link) => link.includes(runId));
  return { namespaces, links };
}

/**
 * Delete namespaces left by test processes that died without cleaning up (SIGKILL): their names carry the PID
 * of a process that no longer exists. Only namespaces with our prefix are touched.
 */
export function sweepStaleNamespaces(): string[] {
  const swept: string[] = [];
  for (const ns of listNamespaces()) {
    const owner = Number(OUR_NAMESPACE.exec(ns)?.[1]);
    if (!Number.isInteger(owner) || owner <= 0 || isAlive(owner)) continue;
    deleteNamespaceSync(ns);
    swept.push(ns);
  }
  // Host ends of uplinks whose namespace is gone (see destroy(): an orphaned socket can keep the pair alive).
  const runIds = new Set(listNamespaces().map((n) => OUR_NAMESPACE.exec(n)?.[2]));
  for (const link of hostLinks()) {
    const runId = UPLINK_HOST_IF.exec(link)?.[1];
    if (runId === undefined || runIds.has(runId)) continue;
    runCommandSync(['ip', 'link', 'del', link]);
    swept.push(link);
  }
  return swept;
}

function hostLinks(): string[] {
  return runCommandSync(['ip', '-o', 'link', 'show'])
    .stdout.split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1])
    .filter((link): link is string => link !== undefined);
}

function listNamespaces(): string[] {
  return runCommandSync(['ip', 'netns', 'list'])
    .stdout.split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(NETNS_PREFIX));
}

function takenSubnets() {
  const sources = [
    ['ip', '-o', '-4', 'addr', 'show'],
    ['ip', '-4', 'route', 'show'],
  ];
  for (const ns of listNamespaces()) sources.push(['ip', '-n', ns, '-o', '-4', 'addr', 'show']);
  return sources.flatMap((argv) => parseCidrs(runCommandSync(argv).stdout));
}

/** Kill anything still inside (only processes the harness started can be there), then delete. */
function deleteNamespaceSync(name: string): void {
  const pids = runCommandSync(['ip', 'netns', 'pids', name]).stdout.split(/\s+/).filter(Boolean);
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  runCommandSync(['ip', 'netns', 'del', name]);
}

async function waitUntilGone(names: readonly string[], hostIf: string | undefined): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const left = listNamespaces();
    const nsGone = names.every((n) => !left.includes(n));
    const linkGone = hostIf === undefined || !runCommandSync(['ip', 'link', 'show', hostIf]).ok;
    if (nsGone && linkGone) return;
    await sleep(100);
  }
  throw new E2eError(
    E2eErrorCode.timeout,
    `netns ${names.join(', ')} (or the uplink ${hostIf ?? '-'}) still exists after delete`,
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
