import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseCidrs, pickSubnet, type RunSubnet } from './addressing.js';
import { onEmergency } from './cleanup.js';
import { E2eError, E2eErrorCode } from './errors.js';
import { runCommand, runCommandSync } from './processes.js';

/** Every namespace the harness creates is named `mbe2e-<pid of the test process>-<run id>`. */
export const NETNS_PREFIX = 'mbe2e-';

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
  /** Kill whatever still runs inside, delete the namespace (which deletes its links), wait until they are gone. */
  destroy(): Promise<void>;
};

export type NetnsOptions = {
  /**
   * A veth pair between the host and the namespace (`subnet.uplink`), for a test process that must reach a
   * service inside (NATS) or the reverse. Off by default: the namespace then has no way out at all.
   */
  uplink?: boolean;
};

const BRIDGE = 'br0';
const TAP = 'tap0';
const NS_UPLINK = 'uplink0';

export async function createNetns(opts: NetnsOptions = {}): Promise<Netns> {
  sweepStaleNamespaces();
  const runId = randomBytes(3).toString('hex');
  const name = `${NETNS_PREFIX}${process.pid}-${runId}`;
  const subnet = pickSubnet(takenSubnets());
  if (!subnet) throw new E2eError(E2eErrorCode.noFreeSubnet, 'no free /24 in 10.96.0.0/11 for an e2e namespace');
  const hostIf = opts.uplink ? `mbe${runId}u` : undefined;

  await runCommand(['ip', 'netns', 'add', name]);
  const unregister = onEmergency(`delete netns ${name}`, () => deleteNamespaceSync(name));
  const destroy = async (): Promise<void> => {
    deleteNamespaceSync(name);
    unregister();
    await waitUntilGone(name, hostIf);
  };

  try {
    const ip = (...args: string[]): Promise<string> => runCommand(['ip', '-n', name, ...args]);
    // DAD would hold addresses "tentative" for a second each time the bridge gains carrier (QEMU opening the tap),
    // delaying the router advertisement iPXE waits for; nothing else can own them on a private segment. With it
    // off, the bridge needs no port of its own to have carrier before QEMU starts (measured: no difference).
    await setIpv6(name, 'all', 'accept_dad', 0);
    await setIpv6(name, 'default', 'accept_dad', 0);
    await ip('link', 'set', 'lo', 'up');
    await ip('link', 'add', BRIDGE, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0');
    await ip('addr', 'add', `${subnet.server}/24`, 'dev', BRIDGE);
    await ip('addr', 'add', `${subnet.server6}/64`, 'dev', BRIDGE, 'nodad');
    await ip('tuntap', 'add', 'dev', TAP, 'mode', 'tap');
    await ip('link', 'set', TAP, 'master', BRIDGE);
    for (const link of [BRIDGE, TAP]) await ip('link', 'set', link, 'up');
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
  return { name, runId, bridge: BRIDGE, tap: TAP, subnet, uplink, destroy };
}

/** Set an IPv6 sysctl of the namespace (/proc/sys/net is per namespace, so it is written from inside). */
function setIpv6(ns: string, iface: string, key: string, value: number): Promise<string> {
  return runCommand(['ip', 'netns', 'exec', ns, 'sh', '-c', `echo ${value} > /proc/sys/net/ipv6/conf/${iface}/${key}`]);
}

/** What is left of a run: namespaces and host links carrying its id. Empty after a clean teardown. */
export function leftovers(runId: string): { namespaces: string[]; links: string[] } {
  const namespaces = listNamespaces().filter((n) => n.endsWith(`-${runId}`));
  const links = runCommandSync(['ip', '-o', 'link', 'show'])
    .stdout.split('\n')
    .map((line) => /^\d+:\s+([^:@\s]+)/.exec(line)?.[1])
    .filter((link): link is string => link !== undefined && link.includes(runId));
  return { namespaces, links };
}

/**
 * Delete namespaces left by test processes that died without cleaning up (SIGKILL): their names carry the PID
 * of a process that no longer exists. Only namespaces with our prefix are touched.
 */
export function sweepStaleNamespaces(): string[] {
  const swept: string[] = [];
  for (const ns of listNamespaces()) {
    const owner = Number(/^mbe2e-(\d+)-[0-9a-f]+$/.exec(ns)?.[1]);
    if (!Number.isInteger(owner) || owner <= 0 || isAlive(owner)) continue;
    deleteNamespaceSync(ns);
    swept.push(ns);
  }
  return swept;
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

async function waitUntilGone(name: string, hostIf: string | undefined): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const nsGone = !listNamespaces().includes(name);
    const linkGone = hostIf === undefined || !runCommandSync(['ip', 'link', 'show', hostIf]).ok;
    if (nsGone && linkGone) return;
    await sleep(100);
  }
  throw new E2eError(E2eErrorCode.timeout, `netns ${name} (or its uplink ${hostIf ?? '-'}) still exists after delete`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
