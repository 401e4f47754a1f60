import { describe, expect, it } from 'vitest';
import { selftestScript } from '../harness/selftest-stack.js';

describe('self-test iPXE script', () => {
  it('boots the kernel and initrd over HTTP, naming the initrd for the EFI stub', () => {
    const boot = {
      kernelPath: '/var/cache/metalbus-e2e/vmlinuz',
      initrdPath: '/var/cache/metalbus-e2e/initrd.cpio.gz',
      kernelArgs: ['console=ttyS0', 'metalbus.e2e=m-1'],
    };
    expect(selftestScript('http://10.101.7.1:8080', boot)).toBe(
      [
        '#!ipxe',
        'echo metalbus e2e self-test: script for ${uuid} (${platform}/${buildarch}) at ${ip}',
        'kernel http://10.101.7.1:8080/vmlinuz initrd=initrd.cpio.gz console=ttyS0 metalbus.e2e=m-1',
        'initrd http://10.101.7.1:8080/initrd.cpio.gz',
        'boot',
        '',
      ].join('\n'),
    );
  });
});
