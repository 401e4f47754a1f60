// The dhcp config fragment, the debouncer and the address resolution: small pure pieces.

import type { NetworkInterfaceInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import { dhcpConfigSchema, dhcpSettingsFromConfig } from '../src/dhcp/config.js';
import { Debouncer } from '../src/dhcp/debounce.js';
import { resolveAddresses } from '../src/dhcp/interfaces.js';

describe('dhcpConfigSchema', () => {
  it('has defaults for everything and maps to typed settings', () => {
    expect(dhcpSettingsFromConfig(dhcpConfigSchema.parse({}))).toEqual({
      mode: 'both',
      interfaceName: null,
      advertiseAddress: null,
      listenAddress: '0.0.0.0',
      ports: { dhcp: 67, pxe: 4011 },
      httpPort: 8080,
      bootFiles: { bios: 'undionly.kpxe', 'uefi-x64': 'ipxe.efi', arm64: 'ipxe-arm64.efi' },
      overrides: new Map(),
      debounceMs: 30_000,
    });
  });

  it('parses env strings, treats empty values as unset and normalises override MACs', () => {
    const settings = dhcpSettingsFromConfig(
      dhcpConfigSchema.parse({
        DHCP_MODE: '4011-only',
        DHCP_INTERFACE: 'br0',
        ADVERTISE_ADDRESS: 'fd77::1',
        HTTP_PORT: '9090',
        DHCP_PORT: '',
        DHCP_BOOTFILE_UEFI_X64: 'snponly.efi',
        DHCP_BOOTFILE_OVERRIDES: '{"52-54-00-AA-00-01": "custom.efi"}',
        DHCP_DEBOUNCE_SECONDS: '2.5',
      }),
    );
    expect(settings).toMatchObject({
      mode: '4011-only',
      interfaceName: 'br0',
      advertiseAddress: 'fd77::1',
      httpPort: 9090,
      ports: { dhcp: 67, pxe: 4011 },
      overrides: new Map([['52:54:00:aa:00:01', 'custom.efi']]),
      debounceMs: 2500,
    });
    expect(settings.bootFiles['uefi-x64']).toBe('snponly.efi');
  });

  it('names every bad variable', () => {
    const result = dhcpConfigSchema.safeParse({
      DHCP_MODE: 'proxy',
      ADVERTISE_ADDRESS: 'pxe.example',
      DHCP_PORT: '70000',
      DHCP_BOOTFILE_BIOS: 'has space.kpxe',
      DHCP_BOOTFILE_OVERRIDES: '{"not-a-mac": "x.efi"}',
    });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual([
      'ADVERTISE_ADDRESS',
      'DHCP_BOOTFILE_BIOS',
      'DHCP_BOOTFILE_OVERRIDES',
      'DHCP_MODE',
      'DHCP_PORT',
    ]);
  });

  it('describes every key (the README table is generated from it)', () => {
    for (const [key, schema] of Object.entries(dhcpConfigSchema.shape)) {
      expect(schema.description, key).toMatch(/\w{3,}/);
    }
  });
});

describe('Debouncer', () => {
  it('admits a key once per window, per MAC and message type, with an injected clock', () => {
    let now = 0;
    const d = new Debouncer({ windowMs: 30_000, now: () => now });
    const seen = () => [d.admit('aa', 'discover'), d.admit('aa', 'request'), d.admit('bb', 'discover')];
    expect(seen()).toEqual([true, true, true]);
    now = 29_999;
    expect(seen()).toEqual([false, false, false]);
    now = 30_000;
    expect(seen()).toEqual([true, true, true]);
  });

  it('stays bounded, evicting the least recently seen key', () => {
    const d = new Debouncer({ maxEntries: 2, now: () => 0 });
    expect([d.admit('a', 'discover'), d.admit('b', 'discover')]).toEqual([true, true]);
    expect(d.admit('a', 'discover')).toBe(false); // refreshes a
    expect(d.admit('c', 'discover')).toBe(true); // evicts b
    expect(d.size).toBe(2);
    expect([d.admit('a', 'discover'), d.admit('b', 'discover')]).toEqual([false, true]);
  });
});

describe('resolveAddresses', () => {
  const nic = (address: string, family: 'IPv4' | 'IPv6' = 'IPv4', internal = false): NetworkInterfaceInfo =>
    ({ address, family, internal, netmask: '', mac: '', cidr: null }) as NetworkInterfaceInfo;
  const table = {
    lo: [nic('127.0.0.1', 'IPv4', true)],
    br0: [nic('10.77.0.1'), nic('10.77.0.2'), nic('fd77::1', 'IPv6')],
  };

  it('takes the interface IPv4 address when only the interface is given', () => {
    expect(resolveAddresses({ interfaceName: 'br0', advertiseAddress: null }, table)).toEqual({
      ok: true,
      value: {
        interfaceName: 'br0',
        serverAddress: '10.77.0.1',
        serverAddressIsLocal: true,
        httpHost: '10.77.0.1',
        ownAddresses: ['10.77.0.1', '10.77.0.2'],
      },
    });
  });

  it('starts on an interface without carrier (hidden by Node) when the IPv4 advertise address is given', () => {
    expect(resolveAddresses({ interfaceName: 'br1', advertiseAddress: '10.88.0.1' }, table)).toEqual({
      ok: true,
      value: {
        interfaceName: 'br1',
        serverAddress: '10.88.0.1',
        serverAddressIsLocal: true,
        httpHost: '10.88.0.1',
        ownAddresses: ['10.88.0.1'],
      },
    });
    expect(resolveAddresses({ interfaceName: 'br1', advertiseAddress: null }, table)).toEqual({
      ok: false,
      message: 'interface br1 is missing or has no carrier; set the IPv4 advertise address to start without carrier',
    });
  });

  it('finds the interface of an advertise address; IPv6 only goes into URLs', () => {
    const v6 = resolveAddresses({ interfaceName: null, advertiseAddress: 'fd77::1' }, table);
    expect(v6).toMatchObject({
      ok: true,
      value: { interfaceName: 'br0', serverAddress: '10.77.0.1', httpHost: 'fd77::1' },
    });
    const vip = resolveAddresses({ interfaceName: null, advertiseAddress: '192.0.2.10' }, table);
    expect(vip).toMatchObject({
      ok: true,
      value: { interfaceName: null, serverAddress: '192.0.2.10', serverAddressIsLocal: false },
    });
  });

  it('picks the only external interface, and refuses to guess among several', () => {
    expect(resolveAddresses({ interfaceName: null, advertiseAddress: null }, table)).toMatchObject({
      ok: true,
      value: { interfaceName: 'br0' },
    });
    const two = { ...table, eth1: [nic('192.168.1.5')] };
    expect(resolveAddresses({ interfaceName: null, advertiseAddress: null }, two).ok).toBe(false);
    expect(resolveAddresses({ interfaceName: 'nope', advertiseAddress: null }, table).ok).toBe(false);
  });
});
