import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { poweredOnOf } from '../src/drivers/api.js';
import { redfishPortOf } from '../src/drivers/probe.js';
import { buildBootOnce } from '../src/redfish/boot.js';
import { classifyFailure, codeForStatus, isAmiFutureStateError, mentionsProperty } from '../src/redfish/classify.js';
import { createRedactor } from '../src/redfish/redact.js';
import { planReset, powerStateOf } from '../src/redfish/reset.js';
import { computerSystemSchema, type ComputerSystem } from '../src/redfish/schemas.js';
import { pickSystem, serviceInfoOf } from '../src/redfish/system.js';
import { parseTarget } from '../src/redfish/target.js';
import { classifyTransportCode, failedBeforeSending, transportError } from '../src/redfish/transport.js';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`./fixtures/redfish/${name}`, import.meta.url), 'utf8'));

describe('parseTarget', () => {
  const https = { defaultScheme: 'https', defaultPort: 443 } as const;
  const cases: [Parameters<typeof parseTarget>[0], string | { error: string }][] = [
    [{ ...https, address: '10.0.0.5' }, 'https://10.0.0.5:443'],
    [{ ...https, address: '10.0.0.5:8443' }, 'https://10.0.0.5:8443'],
    [{ ...https, address: '10.0.0.5:623', port: 443 }, 'https://10.0.0.5:443'],
    [{ ...https, address: 'bmc-7.example', port: 0 }, 'https://bmc-7.example:443'],
    [{ ...https, address: 'fd00::7' }, 'https://[fd00::7]:443'],
    [{ ...https, address: '[fd00::7]:8443' }, 'https://[fd00::7]:8443'],
    [{ ...https, baseUrl: 'http://127.0.0.1:8000/redfish/v1' }, 'http://127.0.0.1:8000'],
    [{ ...https, baseUrl: 'https://root:calvin@10.0.0.5' }, { error: 'BMC URL must not carry credentials' }],
    [{ ...https, address: 'ftp://10.0.0.5' }, { error: 'unsupported scheme ftp' }],
    [{ ...https, address: 'a b' }, { error: 'BMC address is not host[:port]' }],
    [{ ...https, address: '10.0.0.5:99999' }, { error: 'BMC address is not host[:port]' }],
    [{ ...https, address: '' }, { error: 'no BMC address' }],
    [{ defaultScheme: 'http', defaultPort: 80, address: '172.29.0.1:4001' }, 'http://172.29.0.1:4001'],
  ];
  it.each(cases)('%j', (input, expected) => {
    const result = parseTarget(input);
    expect(result.ok ? result.value.display : { error: result.error }).toEqual(expected);
  });
});

describe('classifyFailure', () => {
  it('reads the AMI FutureState answer', () => {
    const failure = classifyFailure(400, fixture('error-ami-future-state.json'));
    expect(failure).toEqual({
      code: 'unsupported',
      status: 400,
      messageIds: ['Ami.1.0.OperationSupportedInFutureStateURI'],
      relatedProperties: [],
      detail:
        'HTTP 400: Ami.1.0.OperationSupportedInFutureStateURI: The requested operation is supported only in the FutureState URI /redfish/v1/Systems/Self/SD.',
    });
    expect(isAmiFutureStateError(failure)).toBe(true);
  });

  it('names the refused property', () => {
    const failure = classifyFailure(400, fixture('error-mode-not-in-list.json'));
    expect([failure.code, failure.messageIds, failure.relatedProperties]).toEqual([
      'unsupported',
      ['Base.1.8.GeneralError', 'Base.1.8.PropertyValueNotInList'],
      ['#/Boot/BootSourceOverrideMode'],
    ]);
    expect(mentionsProperty(failure, 'BootSourceOverrideMode')).toBe(true);
    expect(isAmiFutureStateError(failure)).toBe(false);
  });

  it('treats busy message ids as transient whatever the status', () => {
    expect(classifyFailure(400, fixture('error-node-busy.json')).code).toBe('bmc-busy');
    expect(classifyFailure(500, fixture('error-general.json')).code).toBe('protocol');
  });

  it('maps statuses without a body', () => {
    const statuses = [400, 401, 403, 404, 405, 409, 412, 428, 429, 500, 501, 502, 503, 504];
    expect(Object.fromEntries(statuses.map((s) => [s, classifyFailure(s, undefined).code]))).toEqual({
      400: 'unsupported',
      401: 'auth-failed',
      403: 'auth-failed',
      404: 'protocol',
      405: 'unsupported',
      409: 'bmc-busy',
      412: 'bmc-busy',
      428: 'protocol',
      429: 'bmc-busy',
      500: 'protocol',
      501: 'unsupported',
      502: 'bmc-busy',
      503: 'bmc-busy',
      504: 'bmc-busy',
    });
    expect(codeForStatus(200)).toBe('protocol');
  });

  it('survives hostile bodies', () => {
    for (const body of [
      null,
      'x',
      7,
      [],
      { error: 'x' },
      { error: { '@Message.ExtendedInfo': [null, 1, { MessageId: 5 }] } },
    ]) {
      expect(classifyFailure(400, body).code).toBe('unsupported');
    }
  });
});

describe('classifyTransportCode', () => {
  it('maps socket and TLS error codes', () => {
    const codes = [
      'ECONNREFUSED',
      'UND_ERR_CONNECT_TIMEOUT',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      'EPROTO',
      'HPE_INVALID_CONSTANT',
    ];
    expect(codes.map((c) => classifyTransportCode(c).code)).toEqual([
      'unreachable',
      'unreachable',
      'auth-failed',
      'auth-failed',
      'protocol',
      'protocol',
    ]);
    expect(classifyTransportCode(null).code).toBe('unreachable');
  });

  it('tells failures before the request was written (safe to send again) from those after (maybe acted on)', () => {
    const sys = (code: string, syscall?: string) => Object.assign(new Error(code), { code, syscall });
    const wrapped = (code: string, cause: Error) => Object.assign(new Error('wrapped'), { code, cause });
    const cases: [string, unknown][] = [
      ['refused', sys('ECONNREFUSED', 'connect')],
      ['no route at connect', sys('EHOSTUNREACH', 'connect')],
      ['dns', sys('ENOTFOUND', 'getaddrinfo')],
      ['connect timeout', wrapped('UND_ERR_CONNECT_TIMEOUT', new Error('timeout'))],
      ['untrusted certificate', sys('DEPTH_ZERO_SELF_SIGNED_CERT')],
      ['reset', sys('ECONNRESET', 'read')],
      ['closed under the request', wrapped('UND_ERR_SOCKET', sys('ECONNRESET', 'read'))],
      ['other side closed', wrapped('UND_ERR_SOCKET', new Error('other side closed'))],
      ['no route on an open connection', sys('EHOSTUNREACH', 'write')],
      ['broken pipe', sys('EPIPE', 'write')],
      ['unknown', new Error('?')],
    ];
    expect(cases.map(([name, error]) => [name, failedBeforeSending(error)])).toEqual([
      ['refused', true],
      ['no route at connect', true],
      ['dns', true],
      ['connect timeout', true],
      ['untrusted certificate', true],
      ['reset', false],
      ['closed under the request', false],
      ['other side closed', false],
      ['no route on an open connection', false],
      ['broken pipe', false],
      ['unknown', false],
    ]);
    const reset = transportError('https://bmc', 'cycle', wrapped('UND_ERR_SOCKET', sys('ECONNRESET', 'read')));
    const refused = transportError('https://bmc', 'cycle', sys('ECONNREFUSED', 'connect'));
    expect([
      [reset.code, reset.unanswered, reset.message],
      [refused.code, refused.unanswered, refused.message],
    ]).toEqual([
      [
        'unreachable',
        true,
        'cycle on BMC https://bmc failed (unreachable): connection failed (UND_ERR_SOCKET); the request may have reached the BMC',
      ],
      ['unreachable', false, 'cycle on BMC https://bmc failed (unreachable): connection failed (ECONNREFUSED)'],
    ]);
  });
});

describe('planReset', () => {
  const all = [
    'On',
    'ForceOff',
    'GracefulShutdown',
    'GracefulRestart',
    'ForceRestart',
    'Nmi',
    'ForceOn',
    'PushPowerButton',
    'PowerCycle',
  ];
  it('uses the first preference everywhere when everything is allowed', () => {
    expect((['on', 'off', 'softOff', 'cycle', 'reset'] as const).map((op) => planReset(op, all))).toEqual([
      { kind: 'single', resetType: 'On' },
      { kind: 'single', resetType: 'ForceOff' },
      { kind: 'single', resetType: 'GracefulShutdown' },
      { kind: 'single', resetType: 'PowerCycle' },
      { kind: 'single', resetType: 'ForceRestart' },
    ]);
  });

  it('falls back in the documented order', () => {
    expect(planReset('on', ['ForceOn', 'ForceOff'])).toEqual({ kind: 'single', resetType: 'ForceOn' });
    expect(planReset('reset', ['On', 'ForceOff', 'PowerCycle', 'GracefulRestart'])).toEqual({
      kind: 'single',
      resetType: 'PowerCycle',
    });
    expect(planReset('reset', ['On', 'ForceOff', 'GracefulRestart'])).toEqual({
      kind: 'single',
      resetType: 'GracefulRestart',
    });
    expect(planReset('reset', ['On', 'ForceOff'])).toEqual({ kind: 'off-then-on', off: 'ForceOff', on: 'On' });
    expect(planReset('cycle', ['ForceOn', 'ForceOff', 'ForceRestart'])).toEqual({
      kind: 'off-then-on',
      off: 'ForceOff',
      on: 'ForceOn',
    });
  });

  it('reports what is missing', () => {
    expect(planReset('softOff', ['On', 'ForceOff', 'PushPowerButton'])).toEqual({
      kind: 'unsupported',
      wanted: ['GracefulShutdown'],
    });
    expect(planReset('cycle', ['On'])).toEqual({ kind: 'unsupported', wanted: ['PowerCycle', 'ForceOff+On'] });
    expect(planReset('off', [])).toEqual({ kind: 'unsupported', wanted: ['ForceOff'] });
  });

  it('sends the first preference when the BMC does not list values', () => {
    expect(planReset('reset', null)).toEqual({ kind: 'single', resetType: 'ForceRestart' });
  });
});

describe('powerStateOf', () => {
  it('maps every DMTF PowerState', () => {
    const values = ['On', 'Off', 'PoweringOn', 'PoweringOff', 'Paused', 'Sleeping', null, undefined];
    expect(values.map(powerStateOf)).toEqual(['on', 'off', 'on', 'on', 'on', 'unknown', 'unknown', 'unknown']);
  });
});

describe('pickSystem', () => {
  const a = { path: '/redfish/v1/Systems/1', id: '1', uuid: '4C4C4544-0051-3010-8052-B4C04F564433' };
  const b = { path: '/redfish/v1/Systems/2', id: '2', uuid: '11111111-2222-3333-4444-555555555555' };
  it('chooses by systemId, the only member, or the UUID', () => {
    expect(pickSystem([a, b], '2', null)).toEqual({ ok: true, path: b.path });
    expect(pickSystem([a, b], '/redfish/v1/Systems/1', null)).toEqual({ ok: true, path: a.path });
    expect(pickSystem([a, b], '11111111-2222-3333-4444-555555555555', null)).toEqual({ ok: true, path: b.path });
    expect(pickSystem([a], null, '99999999-2222-3333-4444-555555555555')).toEqual({ ok: true, path: a.path });
    expect(pickSystem([a, b], null, '4c4c4544-0051-3010-8052-b4c04f564433')).toEqual({ ok: true, path: a.path });
    // The same UUID with the first three fields byte-swapped (raw SMBIOS layout), as some BMCs print it.
    expect(pickSystem([a, b], null, '44454c4c-5100-1030-8052-b4c04f564433')).toEqual({ ok: true, path: a.path });
  });

  it('refuses to guess', () => {
    expect(pickSystem([a, b], null, null)).toEqual({
      ok: false,
      reason: '2 systems (1, 2) and no UUID to choose by; set systemId',
    });
    expect(pickSystem([a, b], null, '99999999-2222-3333-4444-555555555555')).toEqual({
      ok: false,
      reason: 'none of 2 systems (1, 2) has UUID 99999999-2222-3333-4444-555555555555; set systemId',
    });
    expect(pickSystem([a, b], '7', null)).toEqual({ ok: false, reason: 'no system "7" (systems: 1, 2)' });
    expect(pickSystem([], null, null)).toEqual({ ok: false, reason: 'the BMC lists no systems' });
  });
});

describe('serviceInfoOf', () => {
  it('finds links and AMI hints', () => {
    expect(serviceInfoOf({ Systems: { '@odata.id': '/redfish/v1/Systems' }, Vendor: 'AMI' })).toEqual({
      systemsPath: '/redfish/v1/Systems',
      sessionsPath: '/redfish/v1/SessionService/Sessions',
      amiLike: true,
    });
    expect(
      serviceInfoOf({ Systems: { '@odata.id': '/S' }, Links: { Sessions: { '@odata.id': '/X' } }, Oem: { Ami: {} } }),
    ).toEqual({ systemsPath: '/S', sessionsPath: '/X', amiLike: true });
    expect(serviceInfoOf({})).toBeNull();
  });
});

describe('buildBootOnce', () => {
  const system = (boot: Record<string, unknown>): ComputerSystem =>
    computerSystemSchema.parse({ '@odata.id': '/redfish/v1/Systems/1', Boot: boot });
  it('builds the override, leaving the mode out when asked or not allowed', () => {
    expect(buildBootOnce('pxe', 'uefi', system({}), true)).toEqual({
      ok: true,
      value: { BootSourceOverrideEnabled: 'Once', BootSourceOverrideTarget: 'Pxe', BootSourceOverrideMode: 'UEFI' },
    });
    expect(buildBootOnce('disk', 'bios', system({}), false)).toEqual({
      ok: true,
      value: { BootSourceOverrideEnabled: 'Once', BootSourceOverrideTarget: 'Hdd' },
    });
    expect(
      buildBootOnce('pxe', 'bios', system({ 'BootSourceOverrideMode@Redfish.AllowableValues': ['UEFI'] }), true),
    ).toEqual({
      ok: true,
      value: { BootSourceOverrideEnabled: 'Once', BootSourceOverrideTarget: 'Pxe' },
    });
    expect(
      buildBootOnce('pxe', 'uefi', system({ 'BootSourceOverrideTarget@Redfish.AllowableValues': ['Hdd', 'Cd'] }), true),
    ).toEqual({
      ok: false,
      reason: 'boot override target Pxe not allowed (allowed: Hdd, Cd)',
    });
  });
});

describe('small helpers', () => {
  it('redacts every known secret', () => {
    const redactor = createRedactor();
    redactor.add('hunter22');
    redactor.add('ab'); // too short to hide
    redactor.add(null);
    expect(redactor.redact('user admin password hunter22 said hunter22 ab')).toBe(
      'user admin password [redacted] said [redacted] ab',
    );
  });

  it('reads the QEMU API status body', () => {
    expect(
      ['{"PoweredOn":true}\n', '{"PoweredOn":false}', '{"PoweredOn":"yes"}', '[]', 'nope'].map(poweredOnOf),
    ).toEqual([true, false, null, null, null]);
  });

  it('keeps IPMI ports away from Redfish', () => {
    expect([null, 0, 623, 8443].map((port) => redfishPortOf({ port }))).toEqual([443, 443, 443, 8443]);
  });
});
