import { afterEach, describe, expect, it } from 'vitest';
import { groupSchema, profileSchema, validateEvent } from '@metalbus/events';
import { AGENT_EXTENSIONS, brokenState, emptyState, fixedState } from '../src/scripts/index.js';
import {
  BASE,
  HOST,
  MAC,
  SCHEMATIC,
  UUID,
  brokenFactory,
  build,
  fixedFactory,
  get,
  intent,
  settingsFrom,
  text,
  type Built,
} from './scripts-helpers.js';

const Q = `/ipxe?uuid=${UUID}&mac=52-54-00-12-34-56&domain=&hostname=&serial=SN1&arch=x86_64&platform=efi`;
const Q_ARM = `/ipxe?uuid=${UUID}&mac=52-54-00-12-34-56&arch=arm64`;
const joinConfig = {
  config: 'apiVersion: v1alpha1\nkind: SideroLinkConfig\n',
  kernelArgs: [],
  updatedAt: '2026-08-22T09:00:00.000Z',
};

const profiles = [
  profileSchema.parse({
    id: 'talos',
    boot: {
      kernel: '/assets/talos/v1.9.0/vmlinuz',
      initrd: ['/assets/talos/v1.9.0/initramfs.xz'],
      args: ['talos.platform=metal', 'console=ttyS0'],
    },
  }),
  profileSchema.parse({
    id: 'rescue',
    boot: { kernel: 'http://mirror.example/rescue/vmlinuz', initrd: [], args: ['rescue=1'] },
  }),
  profileSchema.parse({ id: 'bootless', generic_id: 'x' }),
];
const groups = [
  groupSchema.parse({ id: 'rack1', profile: 'talos', selector: { rack: 'r1' } }),
  groupSchema.parse({ id: 'dangling', profile: 'missing', selector: { rack: 'r2' } }),
  groupSchema.parse({ id: 'nobootsection', profile: 'bootless', selector: { rack: 'r3' } }),
];

let built: Built | undefined;
afterEach(async () => {
  await built?.app.close();
  built = undefined;
});

describe('GET /boot.ipxe', () => {
  it('re-chains to /ipxe on the request base URL with the machine facts and retries with back-off', async () => {
    built = await build(emptyState());
    const expected = text(
      200,
      [
        '#!ipxe',
        'set metalbus-attempt:int32 0',
        'set metalbus-backoff:int32 1',
        ':metalbus-retry',
        'inc metalbus-attempt',
        'chain --replace http://10.0.0.5:8080/ipxe?uuid=${uuid}&mac=${mac:hexhyp}&domain=${domain:uristring}&hostname=${hostname:uristring}&serial=${serial:uristring}&arch=${buildarch:uristring}&platform=${platform:uristring}&bootstrap=1 ||',
        'iseq ${metalbus-attempt} 10 && goto metalbus-give-up ||',
        'echo metalbus: no boot script (attempt ${metalbus-attempt}), retrying in ${metalbus-backoff}s',
        'sleep ${metalbus-backoff}',
        'iseq ${metalbus-backoff} 32 || inc metalbus-backoff ${metalbus-backoff}',
        'goto metalbus-retry',
        ':metalbus-give-up',
        'echo metalbus: no boot script after ${metalbus-attempt} attempts, returning to the firmware',
        'exit 1',
        '',
      ].join('\n'),
    );
    expect(await get(built.app, '/boot.ipxe')).toEqual(expected);
    expect(await get(built.app, '/boot.ipxe.0')).toEqual(expected);
    expect(built.published).toEqual([]);
  });

  it('uses ADVERTISE_URL and the configured retry bounds; refuses a Host header that could inject script text', async () => {
    built = await build(emptyState(), {
      settings: settingsFrom({
        ADVERTISE_URL: 'http://boot.example:8080/',
        BOOTSTRAP_ATTEMPTS: '3',
        BOOTSTRAP_BACKOFF_MAX_SECONDS: '8',
      }),
    });
    const body = (await get(built.app, '/boot.ipxe')).body;
    expect(body.split('\n').filter((l) => l.startsWith('chain') || l.startsWith('iseq'))).toEqual([
      'chain --replace http://boot.example:8080/ipxe?uuid=${uuid}&mac=${mac:hexhyp}&domain=${domain:uristring}&hostname=${hostname:uristring}&serial=${serial:uristring}&arch=${buildarch:uristring}&platform=${platform:uristring}&bootstrap=1 ||',
      'iseq ${metalbus-attempt} 3 && goto metalbus-give-up ||',
      'iseq ${metalbus-backoff} 8 || inc metalbus-backoff ${metalbus-backoff}',
    ]);
    await built.app.close();
    built = await build(emptyState());
    expect(await get(built.app, '/boot.ipxe', 'evil"host')).toEqual(
      text(400, 'unusable Host header "evil\\"host"; set ADVERTISE_URL\n'),
    );
  });
});

describe('GET /ipxe: boot intents (Omni mode)', () => {
  it('agent mode through the Image Factory: provider kernel-argument order, agent extensions, our /factory path', async () => {
    built = await build(
      fixedState({ intents: [intent({ mode: 'agent', extraKernelArgs: ['net.ifnames=0'] })], joinConfig }),
    );
    expect(await get(built.app, Q)).toEqual(
      text(200, `#!ipxe\nchain --replace ${BASE}/factory/pxe/${SCHEMATIC}/v1.13.7/metal-amd64\n`),
    );
    expect(built.factory.calls).toEqual([
      {
        extraKernelArgs: [
          'talos.config=http://10.0.0.5:8080/config?u=${uuid}',
          'metal.provider.address=10.0.0.2:50042',
          'console=tty0',
          'console=ttyS0',
          'net.ifnames=0',
        ],
        officialExtensions: [...AGENT_EXTENSIONS],
      },
    ]);
  });

  it('agent mode on arm64 with secure boot, test mode and TLS skip-verify', async () => {
    built = await build(fixedState({ intents: [intent({ mode: 'agent' })] }), {
      settings: settingsFrom({
        SECURE_BOOT: 'true',
        AGENT_TEST_MODE: 'true',
        AGENT_TLS_SKIP_VERIFY: '1',
        AGENT_TALOS_VERSION: 'v1.12.4',
      }),
    });
    expect(await get(built.app, Q_ARM)).toEqual(
      text(200, `#!ipxe\nchain --replace ${BASE}/factory/pxe/${SCHEMATIC}/v1.12.4/metal-arm64-secureboot\n`),
    );
    expect(built.factory.calls[0]?.extraKernelArgs).toEqual([
      'talos.config=http://10.0.0.5:8080/config?u=${uuid}',
      'metal.provider.address=10.0.0.2:50042',
      'metal.provider.test.mode=1',
      'metal.provider.tls.skip.verify=1',
      'console=tty0',
      'console=ttyAMA0',
    ]);
  });

  it('agent mode from local assets: kernel-<arch> with the cmdline file, then the agent arguments', async () => {
    const reads: string[] = [];
    built = await build(
      fixedState({
        intents: [intent({ mode: 'agent', extraKernelArgs: ['foo=bar'] })],
        joinConfig: { ...joinConfig, kernelArgs: ['talos.config.inline=eJw='] },
      }),
      {
        settings: settingsFrom({ AGENT_ASSETS: 'local' }),
        readCmdline: async (arch) => {
          reads.push(arch);
          if (arch === 'arm64') throw new Error('ENOENT: cmdline-metal-arm64');
          return '  talos.platform=metal\n  init_on_alloc=1 \n';
        },
      },
    );
    expect(reads).toEqual(['amd64', 'arm64']);
    expect(await get(built.app, Q)).toEqual(
      text(
        200,
        [
          '#!ipxe',
          'imgfree',
          `kernel ${BASE}/assets/kernel-amd64 talos.platform=metal init_on_alloc=1 talos.config=${BASE}/config?u=\${uuid} talos.config.inline=eJw= metal.provider.address=10.0.0.2:50042 console=tty0 console=ttyS0 foo=bar`,
          `initrd ${BASE}/assets/initramfs-metal-amd64.xz`,
          'boot',
          '',
        ].join('\n'),
      ),
    );
    expect(built.factory.calls).toEqual([]);
    expect(await get(built.app, Q_ARM)).toEqual(
      text(500, 'no local agent assets for arm64 (cmdline-metal-arm64 was not readable at start)\n'),
    );
  });

  it('install mode: factory schematic from the intent (extensions, default + console + user args)', async () => {
    built = await build(
      fixedState({
        intents: [
          intent({
            mode: 'install',
            talosVersion: '1.13.0',
            extensions: ['siderolabs/iscsi-tools'],
            extraKernelArgs: ['a=1', 'b'],
          }),
        ],
        joinConfig,
      }),
    );
    expect(await get(built.app, Q)).toEqual(
      text(200, `#!ipxe\nchain --replace ${BASE}/factory/pxe/${SCHEMATIC}/1.13.0/metal-amd64\n`),
    );
    expect(built.factory.calls).toEqual([
      {
        extraKernelArgs: [
          'talos.config=http://10.0.0.5:8080/config?u=${uuid}',
          'console=tty0',
          'console=ttyS0',
          'a=1',
          'b',
        ],
        officialExtensions: ['siderolabs/iscsi-tools'],
      },
    ]);
  });

  it('install mode with a schematic omni-bridge already made: no factory call', async () => {
    const id = 'b'.repeat(64);
    built = await build(
      fixedState({
        intents: [intent({ mode: 'install', talosVersion: 'v1.13.0', schematicId: id, secureBoot: true })],
      }),
    );
    expect(await get(built.app, Q)).toEqual(
      text(200, `#!ipxe\nchain --replace ${BASE}/factory/pxe/${id}/v1.13.0/metal-amd64-secureboot\n`),
    );
    expect(built.factory.calls).toEqual([]);
  });

  it.each([
    ['exit', text(200, '#!ipxe\nexit\n')],
    ['sanboot', text(200, '#!ipxe\nsanboot --no-describe --drive 0x80\n')],
    ['http-404', text(404, '')],
  ])('disk mode, DISK_BOOT_METHOD=%s', async (method, expected) => {
    built = await build(fixedState({ intents: [intent({ mode: 'disk' })] }), {
      settings: settingsFrom({ DISK_BOOT_METHOD: method }),
    });
    expect(await get(built.app, Q)).toEqual(expected);
  });

  it('cordoned and rejected machines get 404 (cordon wins)', async () => {
    built = await build(fixedState({ intents: [intent({ mode: 'agent', cordoned: true, rejected: true })] }));
    expect(await get(built.app, Q)).toEqual(text(404, 'machine is cordoned\n'));
    await built.app.close();
    built = await build(fixedState({ intents: [intent({ mode: 'disk', rejected: true })] }));
    expect(await get(built.app, Q)).toEqual(text(404, ''));
  });

  it('an intent wins over a matching group', async () => {
    built = await build(fixedState({ intents: [intent({ mode: 'disk' })], profiles, groups }));
    expect(await get(built.app, `${Q}&rack=r1`)).toEqual(text(200, '#!ipxe\nexit\n'));
  });

  it('finds the intent of a machine without a usable UUID by its MAC id', async () => {
    built = await build(fixedState({ intents: [intent({ mode: 'disk', machineId: 'mac-525400123456' })] }));
    expect(await get(built.app, '/ipxe?uuid=00000000-0000-0000-0000-000000000000&mac=52:54:00:12:34:56')).toEqual(
      text(200, '#!ipxe\nexit\n'),
    );
  });

  it('answers 502 with the reason when the factory fails, 500 for incomplete intents and missing settings', async () => {
    built = await build(fixedState({ intents: [intent({ mode: 'agent' })] }), { factory: brokenFactory });
    expect(await get(built.app, Q)).toEqual(
      text(502, 'image factory: POST https://factory.talos.dev/schematics: 503 Service Unavailable\n'),
    );
    await built.app.close();
    built = await build(fixedState({ intents: [intent({ mode: 'agent' })] }), {
      factory: fixedFactory('not-a-hash\nshell'),
    });
    expect(await get(built.app, Q)).toEqual(
      text(502, 'image factory returned an unusable schematic id "not-a-hash\\nshell"\n'),
    );
    await built.app.close();
    built = await build(fixedState({ intents: [intent({ mode: 'install' })] }));
    expect(await get(built.app, Q)).toEqual(text(500, `boot intent of ${UUID} has mode install but no talosVersion\n`));
    await built.app.close();
    built = await build(fixedState({ intents: [intent({ mode: 'agent' })] }), {
      settings: { ...settingsFrom({}), agentProviderAddress: null },
    });
    expect(await get(built.app, Q)).toEqual(
      text(500, 'agent mode needs AGENT_PROVIDER_ADDRESS (where the metal agent reaches omni-bridge)\n'),
    );
    await built.app.close();
    built = await build(fixedState({ intents: [intent({ mode: 'agent', extraKernelArgs: ['a\nshell'] })] }));
    expect(await get(built.app, Q)).toEqual(
      text(500, `boot intent of ${UUID} has a kernel argument or URL that cannot go into a script: "a\\nshell"\n`),
    );
  });
});

describe('GET /ipxe: profiles (Matchbox mode)', () => {
  it('renders the selected profile with /assets URLs made absolute on our base URL', async () => {
    built = await build(fixedState({ profiles, groups }));
    expect(await get(built.app, `${Q}&rack=r1`)).toEqual(
      text(
        200,
        `#!ipxe\nkernel ${BASE}/assets/talos/v1.9.0/vmlinuz talos.platform=metal console=ttyS0\ninitrd ${BASE}/assets/talos/v1.9.0/initramfs.xz\nboot\n`,
      ),
    );
  });

  it('falls back to DEFAULT_PROFILE; absolute URLs stay as written', async () => {
    built = await build(fixedState({ profiles, groups }), { settings: settingsFrom({ DEFAULT_PROFILE: 'rescue' }) });
    expect(await get(built.app, Q)).toEqual(
      text(200, '#!ipxe\nkernel http://mirror.example/rescue/vmlinuz rescue=1\nboot\n'),
    );
    await built.app.close();
    built = await build(fixedState({ profiles, groups }), { settings: settingsFrom({ DEFAULT_PROFILE: 'gone' }) });
    expect(await get(built.app, Q)).toEqual(
      text(404, 'no group matched and the default profile "gone" does not exist\n'),
    );
  });

  it('answers 404 naming the labels when nothing matches, and for dangling groups or profiles without boot', async () => {
    built = await build(fixedState({ profiles, groups }));
    expect(await get(built.app, Q)).toEqual(
      text(
        404,
        `no boot intent, group or default profile matched; labels: arch=x86_64 domain= hostname= mac=${MAC} platform=efi serial=SN1 uuid=${UUID}\n`,
      ),
    );
    expect(await get(built.app, '/ipxe')).toEqual(
      text(404, 'no boot intent, group or default profile matched; labels: (none)\n'),
    );
    expect(await get(built.app, `${Q}&rack=r2`)).toEqual(
      text(404, 'group "dangling" selects profile "missing", which does not exist\n'),
    );
    expect(await get(built.app, `${Q}&rack=r3`)).toEqual(text(404, 'profile "bootless" has no boot section\n'));
  });

  it('refuses a profile argument that would start a new iPXE command', async () => {
    const bad = profileSchema.parse({ id: 'talos', boot: { kernel: '/k', args: ['ok', 'x\nchain http://evil/'] } });
    built = await build(fixedState({ profiles: [bad], groups }));
    expect(await get(built.app, `${Q}&rack=r1`)).toEqual(
      text(
        500,
        'profile "talos" has a kernel argument or URL that cannot go into a script: "x\\nchain http://evil/"\n',
      ),
    );
  });
});

describe('GET /ipxe: bad input and broken state', () => {
  it('answers 400 with the reason for bad MACs and absurd query strings', async () => {
    built = await build(emptyState());
    expect(await get(built.app, '/ipxe?mac=52:54:00:zz:34:56')).toEqual(
      text(400, 'bad query: "mac" is not a MAC address: "52:54:00:zz:34:56"\n'),
    );
    expect(await get(built.app, `/ipxe?mac=${MAC}&hostname=${'h'.repeat(300)}`)).toEqual(
      text(400, 'bad query: value of "hostname" is longer than 256 characters\n'),
    );
    expect(await get(built.app, `/ipxe?${Array.from({ length: 40 }, (_, i) => `l${i}=x`).join('&')}`)).toEqual(
      text(400, 'bad query: more than 32 labels\n'),
    );
    expect(await get(built.app, '/ipxe?serial=%E')).toEqual(text(400, 'bad query: bad %-escape in "serial=%E"\n'));
    expect(built.published).toEqual([]);
  });

  it('answers 500 when a state view is broken', async () => {
    built = await build(brokenState('boot-intents view is not ready'));
    expect(await get(built.app, Q)).toEqual(
      text(500, 'failed to make boot decision: boot-intents view is not ready\n'),
    );
  });

  it('refuses to start with AGENT_ASSETS=local when no architecture has a cmdline file', async () => {
    await expect(
      build(emptyState(), {
        settings: settingsFrom({ AGENT_ASSETS: 'local' }),
        readCmdline: async (arch) => (arch === 'amd64' ? '   ' : Promise.reject(new Error('ENOENT'))),
      }),
    ).rejects.toThrow(
      'AGENT_ASSETS=local but no architecture is bootable (cmdline-metal-amd64 is empty; cmdline-metal-arm64: ENOENT)',
    );
  });
});

describe('boot.script events and metrics', () => {
  it('publishes a valid boot.script event after the response', async () => {
    built = await build(fixedState({ profiles, groups }));
    const next = built.nextPublish();
    const res = await get(built.app, `${Q}&rack=r1`);
    expect(res.status).toBe(200);
    const { kind, event } = await next;
    expect(kind).toBe('boot.script');
    expect(validateEvent('boot.script', event)).toEqual({
      schema: 1,
      machineId: UUID,
      at: '2026-08-22T10:00:00.000Z',
      mode: 'profile',
      status: 200,
      profileId: 'talos',
      groupId: 'rack1',
      replica: 'boot-http-0',
      mac: MAC,
      arch: 'amd64',
      remoteAddress: '127.0.0.1',
    });
  });

  it('publishes 404s and failures with their mode, keyed by MAC when there is no UUID, and skips unknown machines', async () => {
    built = await build(fixedState({ intents: [intent({ mode: 'agent', cordoned: true })] }), {
      factory: brokenFactory,
    });
    const common = {
      schema: 1,
      at: '2026-08-22T10:00:00.000Z',
      replica: 'boot-http-0',
      remoteAddress: '127.0.0.1',
      profileId: null,
      groupId: null,
    };
    let next = built.nextPublish();
    await get(built.app, Q_ARM);
    expect(validateEvent('boot.script', (await next).event)).toEqual({
      ...common,
      machineId: UUID,
      mode: 'cordoned',
      status: 404,
      mac: MAC,
      arch: 'arm64',
    });
    next = built.nextPublish();
    await get(built.app, '/ipxe?mac=52:54:00:12:34:57');
    expect(validateEvent('boot.script', (await next).event)).toEqual({
      ...common,
      machineId: 'mac-525400123457',
      mode: 'none',
      status: 404,
      mac: '52:54:00:12:34:57',
      arch: null,
    });
    await get(built.app, '/ipxe?hostname=x');
    await get(built.app, '/boot.ipxe');
    expect(built.published.length).toBe(2);
  });

  it('a throwing or rejecting publisher never affects the reply', async () => {
    built = await build(fixedState({ profiles, groups }), {
      publish: () => {
        throw new Error('bus down');
      },
    });
    expect((await get(built.app, `${Q}&rack=r1`)).status).toBe(200);
    await built.app.close();
    built = await build(fixedState({ profiles, groups }), { publish: () => Promise.reject(new Error('bus down')) });
    expect((await get(built.app, `${Q}&rack=r1`)).status).toBe(200);
  });

  it('counts scripts by mode and status and responses by route', async () => {
    built = await build(fixedState({ intents: [intent({ mode: 'disk' })], profiles, groups }));
    await get(built.app, Q);
    await get(built.app, '/ipxe?rack=r1');
    await get(built.app, '/ipxe?mac=bad');
    await get(built.app, '/boot.ipxe');
    await new Promise((resolve) => setImmediate(resolve)); // let the last onResponse hook run
    const scripts = await built.registry.getSingleMetricAsString('metalbus_boot_http_scripts_total');
    expect(scripts.split('\n').filter((l) => !l.startsWith('#'))).toEqual([
      'metalbus_boot_http_scripts_total{mode="disk",status="200"} 1',
      'metalbus_boot_http_scripts_total{mode="profile",status="200"} 1',
      'metalbus_boot_http_scripts_total{mode="none",status="400"} 1',
    ]);
    const responses = await built.registry.getSingleMetricAsString('metalbus_boot_http_script_responses_total');
    expect(responses.split('\n').filter((l) => !l.startsWith('#'))).toEqual([
      'metalbus_boot_http_script_responses_total{route="ipxe",status="200"} 2',
      'metalbus_boot_http_script_responses_total{route="ipxe",status="400"} 1',
      'metalbus_boot_http_script_responses_total{route="boot.ipxe",status="200"} 1',
    ]);
  });
});

describe('GET /config', () => {
  it('serves the join config from the provider view, the same for every caller', async () => {
    built = await build(fixedState({ joinConfig }));
    expect(await get(built.app, `/config?u=${UUID}`)).toEqual(text(200, joinConfig.config));
    expect(await get(built.app, '/config')).toEqual(text(200, joinConfig.config));
  });

  it('answers 404 with the reason in profile mode (no join config), 500 when the view is broken', async () => {
    built = await build(emptyState());
    const res = await get(built.app, `/config?u=${UUID}`);
    expect(res).toEqual(
      text(
        404,
        'no join config: /config serves the Talos join config in Omni mode only (omni-bridge writes it to the provider bucket, key join-config); in profile mode put the kernel parameters in the profile\n',
      ),
    );
    await built.app.close();
    built = await build(brokenState('provider view lost'));
    expect(await get(built.app, '/config')).toEqual(text(500, 'join config unavailable: provider view lost\n'));
  });
});

describe('HEAD requests', () => {
  it('answer with the GET Content-Length and no body', async () => {
    built = await build(fixedState({ intents: [intent({ mode: 'disk' })] }));
    const res = await built.app.inject({ method: 'HEAD', url: Q, headers: { host: HOST } });
    expect({ status: res.statusCode, length: res.headers['content-length'], body: res.body }).toEqual({
      status: 200,
      length: '12',
      body: '',
    });
  });
});
