import { describe, expect, it } from 'vitest';
import { absoluteUrl, renderProfileIpxe } from '@metalbus/matchbox';

describe('profile iPXE script (matchbox/http/ipxe.go)', () => {
  it('renders the Matchbox ipxe_test.go script verbatim without a resolver', () => {
    expect(
      renderProfileIpxe({
        kernel: '/image/kernel',
        initrd: ['/image/initrd_a', '/image/initrd_b'],
        args: ['a=b', 'c'],
      }),
    ).toBe('#!ipxe\nkernel /image/kernel a=b c\ninitrd /image/initrd_a\ninitrd /image/initrd_b\nboot\n');
    expect(renderProfileIpxe({ kernel: 'k', initrd: [], args: [] })).toBe('#!ipxe\nkernel k\nboot\n');
  });

  it('absoluteUrl keeps URLs with a scheme and roots the rest at the base', () => {
    const base = 'http://10.0.0.5:8080';
    expect(
      ['/assets/talos/v1.9.0/vmlinuz', 'assets/x', 'http://mirror/k', 'tftp://10.0.0.1/k', '//cdn.example/k'].map((u) =>
        absoluteUrl(u, base),
      ),
    ).toEqual([
      'http://10.0.0.5:8080/assets/talos/v1.9.0/vmlinuz',
      'http://10.0.0.5:8080/assets/x',
      'http://mirror/k',
      'tftp://10.0.0.1/k',
      'http://cdn.example/k',
    ]);
    expect(absoluteUrl('/assets/k', 'http://lb.example/boot')).toBe('http://lb.example/boot/assets/k');
  });
});
