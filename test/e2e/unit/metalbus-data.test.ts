import { groupSchema, profileSchema } from '@metalbus/events';
import { describe, expect, it } from 'vitest';
import { ASSET_PATHS, machineGroup, omniKernelArgs, profileArgs, talosProfile } from '../harness/metalbus-data.js';
import { guestKernelArgs } from '../harness/pxe-boot.js';

describe('metalbus e2e boot data (seed-002 shape)', () => {
  const omni = omniKernelArgs('10.101.7.1', 'e2e-join-abc123');

  it("carries Omni's three kernel parameters", () => {
    expect(omni).toEqual([
      'siderolink.api=grpc://10.101.7.1:8090?jointoken=e2e-join-abc123',
      'talos.events.sink=[fdae:41e4:649b:9303::1]:8090',
      'talos.logging.kernel=tcp://[fdae:41e4:649b:9303::1]:8092',
    ]);
  });

  it("keeps seed 002's arguments in order and adds only the scenario's new ones", () => {
    expect(profileArgs(omni, guestKernelArgs('m-1'))).toEqual([
      'initrd=initramfs.xz',
      'init_on_alloc=1',
      'slab_nomerge',
      'pti=on',
      'console=tty0',
      'console=ttyS0',
      'printk.devkmsg=on',
      'talos.platform=metal',
      ...omni,
      'quiet',
      'panic=-1',
      'metalbus.e2e=m-1',
    ]);
  });

  it('is a valid Matchbox profile and group, selecting one machine by uuid', () => {
    const profile = talosProfile(['initrd=initramfs.xz', 'metalbus.e2e=m-1']);
    expect(profileSchema.parse(profile)).toEqual({
      id: 'talos',
      name: 'Talos Linux for Omni (e2e)',
      boot: {
        kernel: '/assets/talos/v1.9.5/vmlinuz',
        initrd: ['/assets/talos/v1.9.5/initramfs.xz'],
        args: ['initrd=initramfs.xz', 'metalbus.e2e=m-1'],
      },
    });
    expect(ASSET_PATHS).toEqual({ kernel: profile.boot?.kernel, initrd: profile.boot?.initrd[0] });
    expect(groupSchema.parse(machineGroup('6d627573-0e2e-4b00-8000-00000000e2e1'))).toEqual({
      id: 'e2e-e2e1',
      name: 'the e2e machine',
      profile: 'talos',
      selector: { uuid: '6d627573-0e2e-4b00-8000-00000000e2e1' },
      metadata: {},
    });
  });
});
