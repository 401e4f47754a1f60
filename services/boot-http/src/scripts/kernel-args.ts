import type { Arch, BootIntent, JoinConfig } from '@metalbus/events';
import type { ScriptSettings } from './settings.js';

// Kernel arguments of agent and install mode, with the Omni bare-metal provider's rules (reference 4.3):
//   agent:   default + agentExtra + console + user
//   install: default + console + user
// `${uuid}` stays literal: iPXE expands it when it runs the kernel line (or Talos does, for a UKI), which also keeps
// the factory schematic identical for every machine.

/** The extensions of the agent-mode schematic (reference 4.3; `metal-agent` always, even on arm64). */
export const AGENT_EXTENSIONS: readonly string[] = Object.freeze([
  'siderolabs/amd-ucode',
  'siderolabs/amdgpu-firmware',
  'siderolabs/bnx2-bnx2x',
  'siderolabs/chelsio-firmware',
  'siderolabs/i915-ucode',
  'siderolabs/intel-ice-firmware',
  'siderolabs/intel-ucode',
  'siderolabs/qlogic-firmware',
  'siderolabs/realtek-firmware',
  'siderolabs/metal-agent',
]);

/** `console=tty0` plus the architecture's serial console. */
export function consoleArgs(arch: Arch): string[] {
  return arch === 'arm64' ? ['console=tty0', 'console=ttyAMA0'] : ['console=tty0', 'console=ttyS0'];
}

/** `talos.config=<base>/config?u=${uuid}`, then any arguments omni-bridge put next to the join config. */
export function defaultArgs(base: string, joinConfig: JoinConfig | undefined): string[] {
  return [`talos.config=${base}/config?u=\${uuid}`, ...(joinConfig?.kernelArgs ?? [])];
}

/** `metal.provider.address=…` and the agent's test/TLS switches. */
export function agentExtraArgs(settings: ScriptSettings, providerAddress: string): string[] {
  const args = [`metal.provider.address=${providerAddress}`];
  if (settings.agentTestMode) args.push('metal.provider.test.mode=1');
  if (settings.agentTlsSkipVerify) args.push('metal.provider.tls.skip.verify=1');
  return args;
}

export type ArgsInput = { base: string; arch: Arch; intent: BootIntent; joinConfig: JoinConfig | undefined };

export function agentKernelArgs(input: ArgsInput, settings: ScriptSettings, providerAddress: string): string[] {
  return [
    ...defaultArgs(input.base, input.joinConfig),
    ...agentExtraArgs(settings, providerAddress),
    ...consoleArgs(input.arch),
    ...input.intent.extraKernelArgs,
  ];
}

export function installKernelArgs(input: ArgsInput): string[] {
  return [...defaultArgs(input.base, input.joinConfig), ...consoleArgs(input.arch), ...input.intent.extraKernelArgs];
}
