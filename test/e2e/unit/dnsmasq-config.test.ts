import { describe, expect, it } from 'vitest';
import { subnetFor } from '../harness/addressing.js';
import { dnsmasqConfig } from '../harness/dnsmasq.js';

const segment = { bridge: 'br0', subnet: subnetFor(101, 7) };
const files = { leaseFile: '/run/e2e/dnsmasq.leases', logFile: '/run/e2e/dnsmasq.log' };

const ADDRESSES_ONLY = [
  '# metalbus e2e site DHCP server (addresses)',
  'port=0',
  'interface=br0',
  'bind-interfaces',
  'user=root',
  'group=root',
  'pid-file=',
  'dhcp-leasefile=/run/e2e/dnsmasq.leases',
  'log-facility=/run/e2e/dnsmasq.log',
  'log-dhcp',
  'dhcp-range=10.101.7.100,10.101.7.199,255.255.255.0,1h',
  'no-ping',
  'enable-ra',
  'dhcp-range=::,constructor:br0,ra-only',
];

describe('dnsmasq configuration', () => {
  it('addresses only: leases and router advertisements, no boot options', () => {
    expect(dnsmasqConfig(segment, files, { kind: 'addresses' })).toBe(`${ADDRESSES_ONLY.join('\n')}\n`);
  });

  it('full (self-test): the script URL for iPXE, iPXE binaries over TFTP for plain PXE firmware', () => {
    const text = dnsmasqConfig(segment, files, {
      kind: 'full',
      scriptUrl: 'http://10.101.7.1:8080/boot.ipxe',
      tftpRoot: '/run/e2e/tftp',
      nbp: { bios: 'undionly.kpxe', efi64: 'snponly.efi' },
    });
    expect(text).toBe(
      [
        '# metalbus e2e site DHCP server (full)',
        ...ADDRESSES_ONLY.slice(1),
        'dhcp-userclass=set:ipxe,iPXE',
        'dhcp-match=set:efi64,option:client-arch,7',
        'dhcp-match=set:efi64,option:client-arch,9',
        'dhcp-boot=tag:ipxe,http://10.101.7.1:8080/boot.ipxe',
        'dhcp-boot=tag:!ipxe,tag:efi64,snponly.efi,,10.101.7.1',
        'dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe,,10.101.7.1',
        'dhcp-option=tag:ipxe,encap:175,176,1b',
        'enable-tftp',
        'tftp-root=/run/e2e/tftp',
        '',
      ].join('\n'),
    );
  });
});
