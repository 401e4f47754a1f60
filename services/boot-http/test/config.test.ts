import { parseConfig } from '@metalbus/config';
import { describe, expect, it } from 'vitest';
import { assetsDirOf, bootHttpConfigSchema } from '../src/config.js';
import { isTrustedProxyEntry } from '../src/trust-proxy.js';

// The service-level variables of boot-http: TRUST_PROXY, and DATA_DIR as "point it at a Matchbox data directory".

const parse = (env: Record<string, string>) => {
  const result = parseConfig('boot-http', bootHttpConfigSchema, env);
  return result.ok ? result.config : result.error.message;
};

describe('boot-http config', () => {
  it('DATA_DIR alone: synced at start and its assets/ served', () => {
    const config = parse({ DATA_DIR: '/var/lib/matchbox' });
    expect(typeof config === 'string' ? config : [config.DATA_DIR_SYNC, assetsDirOf(config)]).toEqual([
      true,
      '/var/lib/matchbox/assets',
    ]);
    const explicit = parse({ DATA_DIR: '/var/lib/matchbox', ASSETS_DIR: '/srv/a', DATA_DIR_SYNC: 'false' });
    expect(typeof explicit === 'string' ? explicit : [explicit.DATA_DIR_SYNC, assetsDirOf(explicit)]).toEqual([
      false,
      '/srv/a',
    ]);
    const none = parse({ ASSETS_DIR: '' });
    expect(typeof none === 'string' ? none : assetsDirOf(none)).toBe('/var/lib/metalbus/assets');
  });

  it('TRUST_PROXY: false by default; true, false, or a list of addresses, CIDRs and range names', () => {
    const value = (text?: string) => {
      const config = parse(text === undefined ? {} : { TRUST_PROXY: text });
      return typeof config === 'string' ? config : config.TRUST_PROXY;
    };
    expect([
      value(),
      value('true'),
      value('FALSE'),
      value(''),
      value('10.0.0.5, 192.0.2.0/24,fd00::/8 ,loopback,10.0.0.0/255.0.0.0'),
    ]).toEqual([false, true, false, false, ['10.0.0.5', '192.0.2.0/24', 'fd00::/8', 'loopback', '10.0.0.0/255.0.0.0']]);
    expect(value('10.0.0.5,proxy.example,10.0.0.0/33')).toBe(
      'boot-http: invalid configuration: TRUST_PROXY is "10.0.0.5,proxy.example,10.0.0.0/33", expected true, false or a comma-separated list of addresses/CIDRs',
    );
  });

  it('isTrustedProxyEntry', () => {
    const entries = [
      '::1',
      '::/0',
      '2001:db8::/129',
      '1.2.3.4/24',
      '1.2.3.4/255.255.0.0',
      '1.2.3/8',
      'uniquelocal',
      '*',
    ];
    expect(entries.map(isTrustedProxyEntry)).toEqual([true, true, false, true, true, false, true, false]);
  });

  it('describes every variable (the README table is generated from it)', () => {
    expect(Object.entries(bootHttpConfigSchema.shape).filter(([, field]) => !field.description)).toEqual([]);
  });
});
