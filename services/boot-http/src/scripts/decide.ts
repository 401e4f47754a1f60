import { PROVIDER_KEYS, type Arch, type BootIntent, type BootScriptEvent, type Profile } from '@metalbus/events';
import { absoluteUrl, renderProfileIpxe, selectGroup, type Labels } from '@metalbus/matchbox';
import { ScriptError } from './errors.js';
import { describeLabels, type MachineFacts } from './facts.js';
import { AGENT_EXTENSIONS, agentKernelArgs, installKernelArgs } from './kernel-args.js';
import { diskAnswer, localAgentScript, type StopReason } from './render.js';
import type { ScriptSettings } from './settings.js';
import type { ScriptState } from './state.js';

// The /ipxe decision, pure and synchronous over the in-memory state, in this order:
// (a) a boot intent for the machine wins (cordoned → 404, rejected → 404, disk / agent / install);
// (b) else Matchbox group selection picks a profile; (c) else the default profile, else 404 naming the labels.
// A factory-backed answer needs a schematic id first: that one step is I/O and is left to the route.
// Every 404 carries a StopReason: the route answers it as a stop script when /boot.ipxe chained the request.

export type ScriptMode = BootScriptEvent['mode'];
export type Schematic = { extraKernelArgs: string[]; officialExtensions: string[] };

export type Answer = {
  kind: 'answer';
  status: number;
  body: string;
  mode: ScriptMode;
  profileId: string | null;
  groupId: string | null;
  /** Set on the deliberate "nothing to boot here" answers (the 404s). */
  stop: StopReason | null;
};
export type FactoryPlan = {
  kind: 'factory';
  mode: 'agent' | 'install';
  /** Set when omni-bridge already created the schematic; otherwise create `schematic`. */
  schematicId: string | null;
  schematic: Schematic;
  talosVersion: string;
  arch: Arch;
  secureBoot: boolean;
};
/** A decision that cannot be served (bad record, missing setting); the route answers the error's status. */
export type Failure = {
  kind: 'failure';
  error: ScriptError;
  mode: ScriptMode;
  profileId: string | null;
  groupId: string | null;
};
export type Decision = Answer | FactoryPlan | Failure;

export type DecideInput = {
  labels: Labels;
  facts: MachineFacts;
  /** Our base URL, no trailing slash. */
  base: string;
  /** Trimmed cmdline-metal-<arch> contents loaded at start (local agent assets). */
  localCmdlines: ReadonlyMap<Arch, string>;
};

const VERSION_RE = /^[A-Za-z0-9._+-]{1,64}$/;

/** Control characters (a line break would start a new iPXE command); with `spaces`, whitespace too. */
function breaksLine(value: string, spaces: boolean): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || (spaces && (c === 0x20 || c === 0xa0 || c === 0x2028 || c === 0x2029))) return true;
  }
  return false;
}

/** A bad-record error when a value would break out of its script line, else null. */
function unsafeValue(values: readonly string[], owner: string, spaces: boolean): ScriptError | null {
  const bad = values.find((value) => breaksLine(value, spaces));
  return bad === undefined
    ? null
    : new ScriptError(
        'bad-record',
        `${owner} has a kernel argument or URL that cannot go into a script: ${JSON.stringify(bad)}`,
      );
}

const answer = (
  status: number,
  body: string,
  mode: ScriptMode,
  profileId: string | null = null,
  groupId: string | null = null,
  stop: StopReason | null = null,
): Answer => ({
  kind: 'answer',
  status,
  body,
  mode,
  profileId,
  groupId,
  stop,
});

/** A deliberate 404: the body for direct (Matchbox-style) requests, the reason for bootstrap ones. */
const notFound = (
  stop: StopReason,
  body: string,
  mode: ScriptMode,
  profileId: string | null = null,
  groupId: string | null = null,
): Answer => answer(404, body, mode, profileId, groupId, stop);

/** Throws only what the state readers throw (a broken view); every other problem is a Failure value. */
export function decideIpxe(input: DecideInput, state: ScriptState, settings: ScriptSettings): Decision {
  const intent = input.facts.machineId === null ? undefined : state.intents.get(input.facts.machineId);
  if (intent !== undefined) {
    try {
      return decideIntent(intent, input, state, settings);
    } catch (error) {
      if (error instanceof ScriptError)
        return { kind: 'failure', error, mode: intent.mode, profileId: null, groupId: null };
      throw error;
    }
  }
  return decideProfile(input, state, settings);
}

function decideIntent(intent: BootIntent, input: DecideInput, state: ScriptState, settings: ScriptSettings): Decision {
  if (intent.cordoned) return notFound('cordoned', 'machine is cordoned\n', 'cordoned');
  if (intent.rejected) return notFound('rejected', '', 'rejected');
  const { arch } = input.facts;
  const args = { base: input.base, arch, intent, joinConfig: state.provider.get(PROVIDER_KEYS.joinConfig) };
  const secureBoot = intent.secureBoot || settings.secureBoot;
  // Omni's args arrive split on whitespace; anything else could break out of the kernel line.
  if (intent.mode !== 'disk') {
    const unsafe = unsafeValue(
      [...intent.extraKernelArgs, ...(args.joinConfig?.kernelArgs ?? [])],
      `boot intent of ${intent.machineId}`,
      true,
    );
    if (unsafe !== null) throw unsafe;
  }
  switch (intent.mode) {
    case 'disk': {
      const disk = diskAnswer(settings.diskBootMethod);
      return answer(disk.status, disk.body, 'disk', null, null, disk.stop);
    }
    case 'agent': {
      if (settings.agentProviderAddress === null) {
        throw new ScriptError(
          'not-configured',
          'agent mode needs AGENT_PROVIDER_ADDRESS (where the metal agent reaches omni-bridge)',
        );
      }
      const kernelArgs = agentKernelArgs(args, settings, settings.agentProviderAddress);
      if (settings.agentAssets === 'local') {
        const cmdline = input.localCmdlines.get(arch);
        if (cmdline === undefined)
          throw new ScriptError(
            'assets-missing',
            `no local agent assets for ${arch} (cmdline-metal-${arch} was not readable at start)`,
          );
        return answer(200, localAgentScript(input.base, arch, cmdline, kernelArgs), 'agent');
      }
      return {
        kind: 'factory',
        mode: 'agent',
        schematicId: null,
        schematic: { extraKernelArgs: kernelArgs, officialExtensions: [...AGENT_EXTENSIONS] },
        talosVersion: settings.agentTalosVersion,
        arch,
        secureBoot,
      };
    }
    case 'install': {
      if (intent.talosVersion === null)
        throw new ScriptError(
          'intent-incomplete',
          `boot intent of ${intent.machineId} has mode install but no talosVersion`,
        );
      if (!VERSION_RE.test(intent.talosVersion))
        throw new ScriptError('bad-record', `boot intent of ${intent.machineId} has an unusable talosVersion`);
      return {
        kind: 'factory',
        mode: 'install',
        schematicId: intent.schematicId,
        schematic: { extraKernelArgs: installKernelArgs(args), officialExtensions: [...intent.extensions] },
        talosVersion: intent.talosVersion,
        arch,
        secureBoot,
      };
    }
  }
}

function decideProfile(input: DecideInput, state: ScriptState, settings: ScriptSettings): Answer | Failure {
  const group = selectGroup(state.groups.current(), input.labels);
  if (group !== null) {
    const profile = state.profiles.get(group.profile);
    if (profile === undefined)
      return notFound(
        'profile-missing',
        `group "${group.id}" selects profile "${group.profile}", which does not exist\n`,
        'none',
        group.profile,
        group.id,
      );
    return profileAnswer(profile, input.base, group.id);
  }
  if (settings.defaultProfile !== null) {
    const profile = state.profiles.get(settings.defaultProfile);
    if (profile === undefined)
      return notFound(
        'profile-missing',
        `no group matched and the default profile "${settings.defaultProfile}" does not exist\n`,
        'none',
        settings.defaultProfile,
      );
    return profileAnswer(profile, input.base, null);
  }
  return notFound(
    'no-match',
    `no boot intent, group or default profile matched; labels: ${describeLabels(input.labels)}\n`,
    'none',
  );
}

function profileAnswer(profile: Profile, base: string, groupId: string | null): Answer | Failure {
  if (profile.boot === undefined)
    return notFound('no-boot-section', `profile "${profile.id}" has no boot section\n`, 'none', profile.id, groupId);
  // Matchbox writes arguments verbatim (a space splits one in two, as written); a line break would start a new
  // iPXE command, so that is refused.
  const unsafe = unsafeValue(
    [profile.boot.kernel, ...profile.boot.initrd, ...profile.boot.args],
    `profile "${profile.id}"`,
    false,
  );
  if (unsafe !== null) return { kind: 'failure', error: unsafe, mode: 'profile', profileId: profile.id, groupId };
  return answer(
    200,
    renderProfileIpxe(profile.boot, (url) => absoluteUrl(url, base)),
    'profile',
    profile.id,
    groupId,
  );
}
