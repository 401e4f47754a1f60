import { busConfigSchema, connectionOptions, redactUrl, type BusConfig } from '@metalbus/bus';
import { parseConfig } from '@metalbus/config';
import { describe, expect, it } from 'vitest';

const cfg = (env: Record<string, string>): BusConfig => {
  const r = parseConfig('test', busConfigSchema, env);
  if (!r.ok) throw r.error;
  return r.config;
};

describe('connectionOptions', () => {
  it('defaults to the local server, reconnecting forever, no auth, no TLS', () => {
    expect(connectionOptions(cfg({}), 'svc')).toEqual({
      servers: ['nats://127.0.0.1:4222'],
      name: 'svc',
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1000,
    });
  });

  it('splits server lists and passes user/password or token', () => {
    const up = connectionOptions(
      cfg({ NATS_URL: 'nats://a:4222, nats://b:4222', NATS_USER: 'u', NATS_PASSWORD: 'p' }),
      's',
    );
    expect({ servers: up.servers, user: up.user, pass: up.pass }).toEqual({
      servers: ['nats://a:4222', 'nats://b:4222'],
      user: 'u',
      pass: 'p',
    });
    expect(connectionOptions(cfg({ NATS_TOKEN: 'tok' }), 's').token).toBe('tok');
  });

  it('uses authenticators for nkey seeds and creds files', () => {
    const nkey = connectionOptions(
      cfg({ NATS_NKEY_SEED: 'SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4' }),
      's',
    );
    expect(typeof nkey.authenticator).toBe('function');
    const creds = connectionOptions(cfg({ NATS_CREDS_FILE: '/etc/nats/svc.creds' }), 's');
    expect(typeof creds.authenticator).toBe('function');
  });

  it('configures TLS from files or a tls:// URL', () => {
    expect(
      connectionOptions(cfg({ NATS_TLS_CA: '/ca.pem', NATS_TLS_CERT: '/c.pem', NATS_TLS_KEY: '/k.pem' }), 's').tls,
    ).toEqual({
      caFile: '/ca.pem',
      certFile: '/c.pem',
      keyFile: '/k.pem',
    });
    expect(connectionOptions(cfg({ NATS_URL: 'tls://nats:4222' }), 's').tls).toEqual({});
  });

  it('rejects ambiguous or half-set auth and TLS', () => {
    const cases: Record<string, string>[] = [
      { NATS_TOKEN: 't', NATS_USER: 'u', NATS_PASSWORD: 'p' },
      { NATS_USER: 'u' },
      { NATS_TLS_CERT: '/c.pem' },
      { NATS_CREDS_FILE: '/x.creds', NATS_NKEY_SEED: 'SU…' },
    ];
    expect(
      cases.map((env) => {
        try {
          connectionOptions(cfg(env), 's');
          return 'accepted';
        } catch (err) {
          return (err as { code: string }).code;
        }
      }),
    ).toEqual(['invalid-bus-config', 'invalid-bus-config', 'invalid-bus-config', 'invalid-bus-config']);
  });

  it('rejects a bad namespace at config time, naming the variable', () => {
    const r = parseConfig('svc', busConfigSchema, { NATS_NAMESPACE: 'a.b' });
    expect(r.ok ? null : r.error.issues.map((i) => i.variable)).toEqual(['NATS_NAMESPACE']);
  });

  it('redacts credentials from URLs', () => {
    expect([redactUrl('nats://user:secret@host:4222'), redactUrl('nats://host:4222')]).toEqual([
      'nats://host:4222',
      'nats://host:4222',
    ]);
  });
});
