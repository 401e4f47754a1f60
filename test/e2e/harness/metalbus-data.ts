import { constants } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BootIntentInput, Group, Profile } from '@metalbus/events';

// What the metalbus stack is told to boot, in the shape of seed 002 (Omni + Matchbox): a Matchbox profile whose
// kernel and initramfs live under /assets/talos/<version>/ and whose arguments carry Omni's three parameters, and a
// group selecting it. The "Talos" files are the harness's Debian kernel and busybox initramfs under Talos's
// names: the kernel finds the initramfs's compression by its magic bytes, not by the `.xz` in the name.

/** A made-up Talos version: only the folder name matters. */
export const TALOS_VERSION = 'v1.9.5';
export const PROFILE_ID = 'talos';
export const KERNEL_NAME = 'vmlinuz';
export const INITRD_NAME = 'initramfs.xz';

/** The URL paths boot-http serves the two files under (ASSETS_DIR is mounted at /assets/). */
export const ASSET_PATHS = {
  kernel: `/assets/talos/${TALOS_VERSION}/${KERNEL_NAME}`,
  initrd: `/assets/talos/${TALOS_VERSION}/${INITRD_NAME}`,
} as const;

/** Omni's "Copy Kernel Parameters" values, as seed 002 shows them (the join token is per run). */
export function omniKernelArgs(apiHost: string, joinToken: string): string[] {
  return [
    `siderolink.api=grpc://${apiHost}:8090?jointoken=${joinToken}`,
    'talos.events.sink=[fdae:41e4:649b:9303::1]:8090',
    'talos.logging.kernel=tcp://[fdae:41e4:649b:9303::1]:8092',
  ];
}

/**
 * The profile's arguments: seed 002's list in its order (`initrd=initramfs.xz` first, for the Linux EFI stub),
 * then the scenario's own arguments (marker, quiet, panic=-1) that it does not already have.
 */
export function profileArgs(omni: readonly string[], scenarioArgs: readonly string[]): string[] {
  const seed = [
    `initrd=${INITRD_NAME}`,
    'init_on_alloc=1',
    'slab_nomerge',
    'pti=on',
    'console=tty0',
    'console=ttyS0',
    'printk.devkmsg=on',
    'talos.platform=metal',
    ...omni,
  ];
  return [...seed, ...scenarioArgs.filter((arg) => !seed.includes(arg))];
}

export function talosProfile(args: readonly string[]): Profile {
  return {
    id: PROFILE_ID,
    name: 'Talos Linux for Omni (e2e)',
    boot: { kernel: ASSET_PATHS.kernel, initrd: [ASSET_PATHS.initrd], args: [...args] },
  };
}

/** A group selecting the profile for exactly one machine (Matchbox selector on the `uuid` label). */
export function machineGroup(uuid: string): Group {
  return {
    id: `e2e-${uuid.slice(-4)}`,
    name: 'the e2e machine',
    profile: PROFILE_ID,
    selector: { uuid },
    metadata: {},
  };
}

/** What omni-bridge writes for a machine Omni wants booted from its disk. */
export function diskIntent(machineId: string, now: Date): BootIntentInput {
  return { machineId, mode: 'disk', updatedAt: now.toISOString() };
}

export type WrittenData = { dataDir: string; assetsDir: string };

/** Lay out a Matchbox data directory and an assets directory for boot-http under `dir`. */
export async function writeBootData(
  dir: string,
  files: { kernelPath: string; initrdPath: string },
  data: { profile: Profile; group: Group },
): Promise<WrittenData> {
  const dataDir = join(dir, 'data');
  const assetsDir = join(dir, 'assets');
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  await mkdir(join(dataDir, 'profiles'), { recursive: true });
  await mkdir(join(dataDir, 'groups'), { recursive: true });
  await writeFile(join(dataDir, 'profiles', `${data.profile.id}.json`), json(data.profile));
  await writeFile(join(dataDir, 'groups', `${data.group.id}.json`), json(data.group));
  // Copies, not symlinks: boot-http refuses links that resolve outside ASSETS_DIR. A reflink where the
  // filesystem can, a plain copy (15 MB) elsewhere.
  for (const [from, urlPath] of [
    [files.kernelPath, ASSET_PATHS.kernel],
    [files.initrdPath, ASSET_PATHS.initrd],
  ] as const) {
    const to = join(assetsDir, urlPath.slice('/assets/'.length));
    await mkdir(dirname(to), { recursive: true });
    await copyFile(from, to, constants.COPYFILE_FICLONE);
  }
  return { dataDir, assetsDir };
}
