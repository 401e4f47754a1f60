import type { EventRecorder } from './events.js';
import type { Netns } from './netns.js';
import type { Firmware } from './qemu.js';

// The network-boot stack under test is pluggable: the harness builds the segment (netns.ts), boots machines on
// it (qemu.ts) and reads what they print (serial.ts); a stack is whatever answers them on the segment.
//
// - `selftest` (selftest-stack.ts): dnsmasq giving addresses and the boot file, plus a tiny node:http server.
//   Proves the harness itself, with no metalbus code involved.
// - `metalbus` (metalbus-stack.ts): an address-only site DHCP server (dnsmasq.ts, mode `addresses`, on the run's
//   site host), NATS, dhcp-proxy and boot-http, each started inside the namespace the way an operator starts it.
// Adding one is one new file and one line in stacks.ts.

/** What the machine must end up booting; the stack decides how to deliver it (script, profile, boot intent). */
export type BootTarget = {
  readonly kernelPath: string;
  readonly initrdPath: string;
  /**
   * Arguments the guest kernel must receive, the scenario's unique marker among them. UEFI with Debian's iPXE
   * (2019) also needs `initrd=<basename of the initrd URL>` on the command line for the EFI stub to find the
   * initrd; that one is the stack's to add, since only it knows the URL.
   */
  readonly kernelArgs: readonly string[];
};

export type StackOptions = {
  /** Folder for the stack's configs and logs; kept when the scenario fails. */
  readonly runDir: string;
  /** The machine that will boot (fixed identity, so a stack can select a profile or write a boot intent). */
  readonly machine: { readonly uuid: string; readonly mac: string; readonly firmware: Firmware };
  readonly boot: BootTarget;
};

export type Stack = {
  /** Base URL of the stack's HTTP side as machines on the segment reach it, e.g. `http://10.101.7.1:8080`. */
  readonly httpBase: string;
  /** The `machine.>` trace, when the stack publishes one (metalbus does; the self-test does not). */
  readonly events: EventRecorder | undefined;
  /** Log files worth reading when a scenario fails. */
  readonly logFiles: readonly string[];
  /** Stop everything the stack started, by PID. Safe to call twice. */
  stop(): Promise<void>;
};

/** Start a stack on `ns` (ready to answer DHCP and HTTP when the promise resolves). */
export type StartStack<S extends Stack = Stack> = (ns: Netns, opts: StackOptions) => Promise<S>;
