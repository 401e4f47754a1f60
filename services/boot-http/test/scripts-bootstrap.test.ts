import { afterEach, describe, expect, it } from 'vitest';
import { groupSchema, profileSchema, validateEvent } from '@metalbus/events';
import { emptyState, fixedState } from '../src/scripts/index.js';
import {
  BASE,
  MAC,
  UUID,
  brokenFactory,
  build,
  get,
  intent,
  settingsFrom,
  text,
  type Built,
} from './scripts-helpers.js';

// /ipxe as chained from /boot.ipxe (`bootstrap=1`): iPXE's `chain` cannot see an HTTP status, so every deliberate
// "nothing to boot here" 404 would run the bootstrap retry loop (10 attempts, ~2.5 minutes). With the flag those
// answers are a 200 script that leaves iPXE at once; failures (5xx) stay failures and are retried.

const Q = `/ipxe?uuid=${UUID}&mac=52-54-00-12-34-56&arch=x86_64&platform=efi`;
const FLAGGED = `${Q}&bootstrap=1`;
const stop = (reason: string) => text(200, `#!ipxe\necho metalbus: ${reason}\nexit 1\n`);

const profiles = [
  profileSchema.parse({ id: 'talos', boot: { kernel: '/assets/k', args: ['a=1'] } }),
  profileSchema.parse({ id: 'bootless', generic_id: 'x' }),
];
const groups = [
  groupSchema.parse({ id: 'rack1', profile: 'talos', selector: { rack: 'r1' } }),
  groupSchema.parse({ id: 'dangling', profile: 'missing', selector: { rack: 'r2' } }),
  groupSchema.parse({ id: 'nobootsection', profile: 'bootless', selector: { rack: 'r3' } }),
  // The flag is not a label: a selector on it never matches.
  groupSchema.parse({ id: 'on-flag', profile: 'talos', selector: { bootstrap: '1' } }),
];

let built: Built | undefined;
afterEach(async () => {
  await built?.app.close();
  built = undefined;
});

describe('GET /ipxe chained from /boot.ipxe (bootstrap=1)', () => {
  it('/boot.ipxe chains with the flag', async () => {
    built = await build(emptyState());
    const chain = (await get(built.app, '/boot.ipxe')).body.split('\n').find((l) => l.startsWith('chain'));
    expect(chain).toBe(
      `chain --replace ${BASE}/ipxe?uuid=\${uuid}&mac=\${mac:hexhyp}&domain=\${domain:uristring}&hostname=\${hostname:uristring}&serial=\${serial:uristring}&arch=\${buildarch:uristring}&platform=\${platform:uristring}&bootstrap=1 ||`,
    );
  });

  it('answers the deliberate 404s with a stop script; direct requests keep the 404', async () => {
    const cases: [string, Parameters<typeof build>[0], Parameters<typeof build>[1], string, string][] = [
      [
        'disk, http-404',
        fixedState({ intents: [intent({ mode: 'disk' })] }),
        { settings: settingsFrom({ DISK_BOOT_METHOD: 'http-404' }) },
        '',
        'boot intent is disk, trying the next boot device',
      ],
      [
        'cordoned',
        fixedState({ intents: [intent({ mode: 'agent', cordoned: true })] }),
        {},
        'machine is cordoned\n',
        'machine is cordoned',
      ],
      ['rejected', fixedState({ intents: [intent({ mode: 'agent', rejected: true })] }), {}, '', 'machine is rejected'],
      [
        'no match',
        fixedState({ profiles, groups }),
        {},
        `no boot intent, group or default profile matched; labels: arch=x86_64 mac=${MAC} platform=efi uuid=${UUID}\n`,
        'no boot intent, group or default profile matched',
      ],
    ];
    const seen: Record<string, unknown> = {};
    const expected: Record<string, unknown> = {};
    for (const [name, state, overrides, body404, reason] of cases) {
      built = await build(state, overrides);
      seen[name] = { direct: await get(built.app, Q), chained: await get(built.app, FLAGGED) };
      expected[name] = { direct: text(404, body404), chained: stop(reason) };
      await built.app.close();
      built = undefined;
    }
    expect(seen).toEqual(expected);
  });

  it('dangling groups, missing default profiles and profiles without boot section stop too', async () => {
    built = await build(fixedState({ profiles, groups }), { settings: settingsFrom({ DEFAULT_PROFILE: 'gone' }) });
    expect({
      dangling: await get(built.app, `${FLAGGED}&rack=r2`),
      bootless: await get(built.app, `${FLAGGED}&rack=r3`),
      defaultGone: await get(built.app, FLAGGED),
    }).toEqual({
      dangling: stop('the selected profile does not exist'),
      bootless: stop('the selected profile has no boot section'),
      defaultGone: stop('the selected profile does not exist'),
    });
  });

  it('a request iPXE sent but we cannot parse stops instead of being asked again; direct ones get the 400', async () => {
    built = await build(emptyState());
    expect({
      chained: await get(built.app, '/ipxe?mac=52:54:00:zz:34:56&bootstrap=1'),
      direct: await get(built.app, '/ipxe?mac=52:54:00:zz:34:56'),
    }).toEqual({
      chained: stop('boot request refused (see the boot-http log)'),
      direct: text(400, 'bad query: "mac" is not a MAC address: "52:54:00:zz:34:56"\n'),
    });
  });

  it('scripts are unchanged by the flag, and failures stay failures (retried by the loop)', async () => {
    built = await build(fixedState({ profiles, groups }));
    expect(await get(built.app, `${FLAGGED}&rack=r1`)).toEqual(
      text(200, `#!ipxe\nkernel ${BASE}/assets/k a=1\nboot\n`),
    );
    await built.app.close();
    built = await build(fixedState({ intents: [intent({ mode: 'disk' })] }));
    expect(await get(built.app, FLAGGED)).toEqual(text(200, '#!ipxe\nexit\n'));
    await built.app.close();
    built = await build(fixedState({ intents: [intent({ mode: 'agent' })] }), { factory: brokenFactory });
    expect(await get(built.app, FLAGGED)).toEqual(
      text(502, 'image factory: POST https://factory.talos.dev/schematics: 503 Service Unavailable\n'),
    );
    await built.app.close();
    built = await build(fixedState({ intents: [intent({ mode: 'install' })] }));
    expect(await get(built.app, FLAGGED)).toEqual(
      text(500, `boot intent of ${UUID} has mode install but no talosVersion\n`),
    );
  });

  it('keeps the flag out of the labels; only `bootstrap=1` is the flag', async () => {
    built = await build(fixedState({ profiles, groups }));
    expect(await get(built.app, `/ipxe?mac=${MAC}&bootstrap=0`)).toEqual(
      text(404, `no boot intent, group or default profile matched; labels: mac=${MAC}\n`),
    );
  });

  it('boot.script keeps the real mode and records the 200 that was sent', async () => {
    built = await build(fixedState({ intents: [intent({ mode: 'disk' })] }), {
      settings: settingsFrom({ DISK_BOOT_METHOD: 'http-404' }),
    });
    const next = built.nextPublish();
    await get(built.app, FLAGGED);
    expect(validateEvent('boot.script', (await next).event)).toEqual({
      schema: 1,
      machineId: UUID,
      at: '2026-08-22T10:00:00.000Z',
      mode: 'disk',
      status: 200,
      profileId: null,
      groupId: null,
      replica: 'boot-http-0',
      mac: MAC,
      arch: 'amd64',
      remoteAddress: '127.0.0.1',
    });
  });
});
