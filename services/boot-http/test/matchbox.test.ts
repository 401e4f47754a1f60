import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDataDir } from '@metalbus/matchbox';
import { fixedState } from '../src/scripts/index.js';
import { BASE, build, get, text, type Built } from './scripts-helpers.js';

// Matchbox semantics end to end through the routes, from a data directory fixture: overlapping selectors,
// a default group, /metadata and /generic templating.

const LAB = join(import.meta.dirname, 'fixtures', 'matchbox', 'lab');
const UUID = '4c4c4544-0037-3010-8048-b4c04f4a4e32';
let built: Built;

beforeAll(async () => {
  const data = await readDataDir(LAB);
  expect(data.errors).toEqual([]);
  built = await build(fixedState({ profiles: data.profiles, groups: data.groups, templates: data.templates }));
});
afterAll(async () => {
  await built.app.close();
});

const worker = `#!ipxe\nkernel ${BASE}/assets/talos/v1.9.0/vmlinuz initrd=initramfs.xz talos.platform=metal console=ttyS0\ninitrd ${BASE}/assets/talos/v1.9.0/initramfs.xz\nboot\n`;
const control = `#!ipxe\nkernel ${BASE}/assets/talos/v1.9.0/vmlinuz initrd=initramfs.xz talos.platform=metal console=ttyS0 talos.role=control\ninitrd ${BASE}/assets/talos/v1.9.0/initramfs.xz\nboot\n`;
const memtest = `#!ipxe\nkernel ${BASE}/assets/memtest/memtest64.efi\nboot\n`;

describe('/ipxe selection from the lab data directory', () => {
  it.each([
    ['the most specific group (rack + mac) wins', '/ipxe?mac=52-54-00-00-00-01&rack=r1', control],
    ['a rack-only match', '/ipxe?mac=52-54-00-00-00-02&rack=r1', worker],
    ['the mac alone is not enough for rack1-control', '/ipxe?mac=52-54-00-00-00-01', memtest],
    ['a UUID selector written upper-case matches iPXE lower-case', `/ipxe?uuid=${UUID}&mac=52-54-00-00-00-09`, control],
    ['everything else gets the default group', '/ipxe?mac=52-54-00-00-00-03&rack=r7', memtest],
  ])('%s', async (_name, url, expected) => {
    expect(await get(built.app, url)).toEqual(text(200, expected));
  });
});

describe('/metadata', () => {
  it('flattens the group metadata, selectors and request, sorted', async () => {
    expect(await get(built.app, '/metadata?mac=52:54:00:00:00:01&rack=r1&os=installed')).toEqual(
      text(
        200,
        [
          'ETCD_INITIAL=true',
          'MAC=52:54:00:00:00:01',
          'NETWORK_GATEWAY=10.0.1.1',
          'NETWORK_VLAN=10',
          'RACK=r1',
          'REQUEST_QUERY_MAC=52:54:00:00:00:01',
          'REQUEST_QUERY_OS=installed',
          'REQUEST_QUERY_RACK=r1',
          'REQUEST_RAW_QUERY=mac=52:54:00:00:00:01&rack=r1&os=installed',
          'ROLE=control',
          'SITE=lab',
          '',
        ].join('\n'),
      ),
    );
    expect(await get(built.app, '/metadata')).toEqual(text(200, 'REQUEST_RAW_QUERY=\nSITE=lab\n'));
    expect(await get(built.app, '/metadata?mac=nope')).toEqual(
      text(400, 'bad query: "mac" is not a MAC address: "nope"\n'),
    );
  });
});

describe('/generic', () => {
  it('renders the profile template with the group variables', async () => {
    expect(await get(built.app, '/generic?mac=52-54-00-00-00-01&rack=r1')).toEqual(
      text(
        200,
        '# control node, rendered for 52:54:00:00:00:01\nROLE=control\nVLAN=10\nGATEWAY=10.0.1.1\nETCD_INITIAL=true\nRACK=r1\n',
      ),
    );
    expect(await get(built.app, '/generic?mac=52-54-00-00-00-02&rack=r1')).toEqual(
      text(200, '# worker node, rendered for 52:54:00:00:00:02\nROLE=worker\nVLAN=10\nGATEWAY=10.0.1.1\nRACK=r1\n'),
    );
  });

  it('answers 404 with the reason when the profile has no template or the template fails (missingkey=error)', async () => {
    expect(await get(built.app, '/generic?mac=52-54-00-00-00-03')).toEqual(
      text(404, 'profile "memtest" has no generic_id\n'),
    );
    expect(await get(built.app, `/generic?uuid=${UUID}&mac=52-54-00-00-00-09`)).toEqual(
      text(404, 'generic template "node.env": line 3: map has no entry for key "network"\n'),
    );
  });

  it('answers 404 when no group matches at all', async () => {
    const noDefault = await build(fixedState({}));
    expect(await get(noDefault.app, '/generic?rack=r1')).toEqual(text(404, 'no group matched; labels: rack=r1\n'));
    expect(await get(noDefault.app, '/metadata?rack=r1')).toEqual(text(404, 'no group matched; labels: rack=r1\n'));
    await noDefault.app.close();
  });
});
