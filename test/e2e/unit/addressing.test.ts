import { describe, expect, it } from 'vitest';
import { parseCidrs, pickSubnet, subnetFor } from '../harness/addressing.js';

describe('per-run addressing', () => {
  it('derives every address of a run from its /24', () => {
    expect(subnetFor(101, 7)).toEqual({
      cidr: '10.101.7.0/24',
      netmask: '255.255.255.0',
      server: '10.101.7.1',
      site: '10.101.7.2',
      pool: { first: '10.101.7.100', last: '10.101.7.199' },
      uplink: { host: '10.101.7.253', ns: '10.101.7.254', length: 30 },
      server6: 'fd6d:6265:65:7::1',
      site6: 'fd6d:6265:65:7::2',
      prefix6: 'fd6d:6265:65:7::/64',
    });
  });

  it('reads prefixes from `ip -o -4 addr` and `ip -4 route` output', () => {
    const addr = [
      '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
      '2: eth0    inet 10.96.0.15/24 brd 10.96.0.255 scope global eth0\\       valid_lft forever',
    ].join('\n');
    const route = ['default via 10.96.0.2 dev eth0', '10.97.0.0/16 via 10.96.0.2 dev eth0', '10.98.3.4 dev tun0'].join(
      '\n',
    );
    expect(parseCidrs(`${addr}\n${route}`)).toEqual([
      { network: 0x7f000000, length: 8 },
      { network: 0x0a600000, length: 24 },
      { network: 0x0a610000, length: 16 },
      { network: 0x0a620304, length: 32 },
    ]);
  });

  it('skips taken /24s and ignores broad aggregates such as 10.0.0.0/8', () => {
    const taken = parseCidrs('10.0.0.0/8 dev vpn0\n10.96.0.0/24 dev eth0\n10.96.1.0/24 dev eth1');
    // random() = 0 starts the search at 10.96.0.0/24: the first free one is 10.96.2.0/24.
    expect(pickSubnet(taken, () => 0)?.cidr).toBe('10.96.2.0/24');
  });

  it('gives up when every /16 of 10.96.0.0/11 is taken', () => {
    const all = Array.from({ length: 32 }, (_, i) => `10.${96 + i}.0.0/16 dev big${i}`).join('\n');
    expect(pickSubnet(parseCidrs(all), () => 0.5)).toBeUndefined();
  });
});
